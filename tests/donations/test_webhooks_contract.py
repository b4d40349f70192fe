"""Contract: Stripe's own example objects (fixtures3.json from stripe/openapi), wrapped in
signed events, go through the webhook and are handled. Only the ids that tie an object to our
records (and what makes it the event's state, e.g. a paid invoice) are set; every other field
is Stripe's, in the current API's shape.

The file is reference data the project does not commit: CRM_STRIPE_FIXTURES names it (.ci/run
sets it to ../shared/stripe/fixtures3.json)."""

import copy
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.auth.roles import Role
from crm.donations import payouts, services
from crm.donations.ledger_models import LineKind, Payout, PayoutStatus
from crm.donations.models import (
    Dispute,
    DisputeStatus,
    Donation,
    DonationStatus,
    Frequency,
    PlanStatus,
    RecurringPlan,
    StripeEvent,
    StripeEventStatus,
)
from crm.extensions import db as _db
from tests import stripe_support as ss


@pytest.fixture(scope="module")
def official():
    path = os.environ.get("CRM_STRIPE_FIXTURES")
    if not path:
        pytest.skip(
            "CRM_STRIPE_FIXTURES is not set: it names Stripe's fixtures3.json, which the "
            "project does not ship (.ci/run sets it to ../shared/stripe/fixtures3.json)"
        )
    resources = json.loads(Path(path).read_text())["resources"]
    return lambda name: copy.deepcopy(resources[name])


def deliver(client, type: str, obj: dict, status=StripeEventStatus.PROCESSED, **kw):
    event = ss.event(type, obj, **kw)
    response = ss.deliver(client, event)
    assert response.status_code == 200, (type, response.json)
    _db.session.expire_all()
    row = _db.session.get(StripeEvent, event["id"])
    assert row.status == status, (type, row.error)
    return row


@pytest.fixture
def make_intent(db, make_campaign):
    campaign = make_campaign()

    def factory(frequency=Frequency.ONE_TIME, amount_cents=5000):
        data = {"frequency": frequency, "amount_cents": amount_cents, "first_name": "Jenny",
                "last_name": "Rosen", "email": "jenny@example.org"}  # fmt: skip
        intent = services.create_intent(campaign, data)
        db.session.commit()
        return intent

    return factory


def test_official_objects_that_are_not_ours_are_acknowledged_and_none_forgotten(
    client, official, db
):
    """Stripe's own examples name no intent of ours: each is stored and either changes
    nothing, waits for what it is about, or goes to Needs attention with the reason."""
    session = deliver(client, "checkout.session.completed", official("checkout.session"),
                      StripeEventStatus.ATTENTION)  # status "open", no amount  # fmt: skip
    assert "is not complete" in session.error
    deliver(client, "customer.subscription.updated", official("subscription"))  # not ours
    failed = deliver(client, "invoice.payment_failed", official("invoice"),
                     StripeEventStatus.WAITING)  # fmt: skip
    assert failed.waiting_for == "subscription subscription"  # the fixture's placeholder id
    charge = deliver(client, "charge.succeeded", official("charge"), StripeEventStatus.WAITING)
    assert charge.waiting_for == f"charge {official('charge')['id']}"  # held for its checkout
    event = ss.event("plan.created", official("plan"))
    assert ss.deliver(client, event).json["outcome"] == "ignored"  # a type we do not use
    assert _db.session.get(StripeEvent, event["id"]) is None
    assert _db.session.scalars(select(Donation)).all() == []


def test_official_payment_link_session_charge_and_customer(client, official, make_campaign,
                                                           fake_stripe):  # fmt: skip
    """A Payment Link's completed session, and a dashboard charge whose grace period is over,
    in Stripe's own shapes: gifts with donors from the customer details or the customer."""
    make_campaign(slug="general")
    session = official("checkout.session")
    session.update(status="complete", payment_status="paid", amount_total=2000, currency="usd",
                   payment_link="plink_1PgafyB7WZ01zgkW")  # fmt: skip
    deliver(client, "checkout.session.completed", session)
    gift = _db.session.scalars(select(Donation)).one()
    assert (gift.amount_cents, gift.contact.email) == (2000, "example@example.com")

    customer = official("customer")
    customer.update(email="jenny.rosen@example.com", name="Jenny Rosen")
    charge = official("charge")  # billing_details without an email, no payment intent
    charge.update(customer=customer["id"], amount_captured=charge["amount"])
    transaction = official("balance_transaction")  # the charge's, named by id on it
    transaction.update(fee=33, net=transaction["amount"] - 33)
    fake_stripe.add(customer, transaction, charge)
    deliver(client, "charge.succeeded", charge, created=1_700_000_000)
    other = _db.session.scalars(select(Donation).filter_by(stripe_charge_id=charge["id"])).one()
    assert (other.amount_cents, other.contact.email) == (charge["amount"], customer["email"])
    assert (other.contact.first_name, other.contact.last_name) == ("Jenny", "Rosen")
    assert (other.fee_cents, other.net_cents) == (33, charge["amount"] - 33)


def test_official_checkout_session_charge_and_dispute(client, official, make_intent, make_user):
    make_user(Role.FUNDRAISER)
    intent = make_intent()
    session = official("checkout.session")
    session["metadata"] = {"intent": intent.public_id}
    session["client_reference_id"] = intent.public_id
    deliver(client, "checkout.session.completed", session)  # payment_status "unpaid"
    donation = _db.session.scalars(select(Donation)).one()
    assert donation.status == DonationStatus.PENDING
    assert donation.amount_cents == intent.total_cents  # amount_total is null in the fixture
    assert donation.stripe_payment_intent_id == session["payment_intent"]
    assert donation.contact.email == "jenny@example.org"

    deliver(
        client, "checkout.session.async_payment_succeeded", {**session, "payment_status": "paid"}
    )
    assert _db.session.get(Donation, donation.id).status == DonationStatus.SUCCEEDED

    charge = official("charge")  # amount 100, refunds listed (empty)
    charge["payment_intent"] = session["payment_intent"]
    charge["amount_refunded"] = charge["amount"]
    deliver(client, "charge.refunded", charge)
    donation = _db.session.get(Donation, donation.id)
    assert donation.refunded_cents == charge["amount"]
    assert donation.status == DonationStatus.PARTIALLY_REFUNDED
    assert donation.stripe_charge_id == charge["id"]

    dispute = official("dispute")  # names the charge only; status warning_needs_response
    assert dispute["charge"] == charge["id"]
    deliver(client, "charge.dispute.created", dispute)
    opened = _db.session.scalars(select(Dispute)).one()
    assert opened.status == DisputeStatus.OPEN
    assert opened.evidence_due_at.timestamp() == dispute["evidence_details"]["due_by"]
    withdrawn = official("balance_transaction")
    withdrawn.update(amount=-dispute["amount"], fee=1500, net=-dispute["amount"] - 1500,
                     type="adjustment", reporting_category="dispute",
                     source=dispute["id"])  # fmt: skip
    deliver(client, "charge.dispute.closed",
            {**dispute, "status": "lost", "balance_transactions": [withdrawn]})  # fmt: skip
    donation = _db.session.get(Donation, donation.id)
    assert donation.refunded_cents == charge["amount"] + dispute["amount"]
    assert donation.charged_back_cents == dispute["amount"] and donation.fee_cents == 1500
    assert _db.session.scalars(select(Dispute)).one().status == DisputeStatus.LOST


def test_official_subscription_invoice_objects(client, official, make_intent, mail):
    intent = make_intent(Frequency.MONTHLY, 1000)
    subscription = official("subscription")
    session = official("checkout.session")
    session.update(
        mode="subscription",
        payment_status="paid",
        payment_intent=None,
        subscription=subscription["id"],
        customer=subscription["customer"],
        metadata={"intent": intent.public_id},
        client_reference_id=intent.public_id,
    )
    deliver(client, "checkout.session.completed", session)
    plan = _db.session.scalars(select(RecurringPlan)).one()
    assert plan.status == PlanStatus.ACTIVE and plan.stripe_customer_id == subscription["customer"]

    invoice = official("invoice")  # parent.subscription_details names the subscription
    invoice["parent"]["subscription_details"]["subscription"] = subscription["id"]
    invoice.update(status="paid", amount_paid=invoice["amount_due"])
    deliver(client, "invoice.paid", invoice)
    gift = _db.session.scalars(select(Donation)).one()
    assert gift.recurring_plan_id == plan.id and gift.stripe_invoice_id == invoice["id"]
    assert gift.amount_cents == invoice["amount_due"] and gift.currency == "USD"

    failed = official("invoice")
    failed["id"] = "in_official_failed"
    failed["parent"]["subscription_details"]["subscription"] = subscription["id"]
    deliver(client, "invoice.payment_failed", failed)
    assert _db.session.get(RecurringPlan, plan.id).status == PlanStatus.PAST_DUE
    assert len([m for m in mail.to("jenny@example.org") if "charged" in m["Subject"]]) == 1

    deliver(client, "customer.subscription.updated", subscription)  # active, 2000 a month
    plan = _db.session.get(RecurringPlan, plan.id)
    assert plan.status == PlanStatus.ACTIVE and plan.amount_cents == 2000
    deliver(client, "customer.subscription.deleted", {**subscription, "status": "canceled"})
    assert _db.session.get(RecurringPlan, plan.id).status == PlanStatus.CANCELLED


def test_official_payout_and_balance_transactions(client, official, fake_stripe, make_user):
    payout = official("payout")
    txn = official("balance_transaction")  # a charge of 100, fee 0, net 100
    txn.update(amount=1200, fee=100, net=1100, payout=payout["id"])  # the payout's 1100
    fake_stripe.add(txn)
    deliver(client, "payout.paid", {**payout, "status": "paid"})
    recorded = _db.session.scalars(select(Payout)).one()
    assert (recorded.amount_cents, recorded.status) == (1100, PayoutStatus.UNBALANCED)
    [line] = recorded.lines
    assert (line.kind, line.amount_cents, line.fee_cents, line.net_cents) == (
        LineKind.GIFT, 1200, 100, 1100,
    )  # fmt: skip
    [difference] = payouts.reconciliation(recorded).differences
    assert "a payment of $12.00 with no gift in the CRM" in difference
