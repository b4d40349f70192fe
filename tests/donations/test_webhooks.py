"""The Stripe webhook: signed deliveries in the current API's shapes, on SQLite and PostgreSQL."""

import json
import time

import pytest
from sqlalchemy import func, select

from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.donations import events, services
from crm.donations.ledger_models import WebhookRefusal
from crm.donations.models import (
    Dispute,
    DisputeStatus,
    Donation,
    DonationIntent,
    DonationStatus,
    Frequency,
    IntentStatus,
    PlanStatus,
    Receipt,
    RecurringPlan,
    Refund,
    RefundKind,
    StripeEvent,
    StripeEventStatus,
)
from crm.extensions import db as _db
from crm.modelbase import utcnow
from tests import stripe_support as ss


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def table_counts() -> dict:
    """Rows in every table: 'nothing written' means this does not change."""
    counts = {}
    for table in _db.metadata.sorted_tables:
        counts[table.name] = _db.session.scalar(select(func.count()).select_from(table))
    _db.session.rollback()
    return counts


def stored(event_id: str) -> StripeEvent:
    _db.session.expire_all()
    return _db.session.get(StripeEvent, event_id)


@pytest.fixture
def campaign(make_campaign, make_fund):
    return make_campaign(slug="spring", default_fund=make_fund("Prevention programmes"))


@pytest.fixture
def make_intent(db, campaign):
    def factory(**fields) -> DonationIntent:
        data = {
            "frequency": Frequency.ONE_TIME,
            "amount_cents": 5000,
            "first_name": "Dana",
            "last_name": "Donor",
            "email": "dana@example.org",
            **fields,
        }
        intent = services.create_intent(campaign, data)
        db.session.commit()
        return intent

    return factory


@pytest.fixture
def gift(client, make_intent):
    """A one-time gift recorded through checkout.session.completed: (donation, session)."""
    session = ss.checkout_session(make_intent())
    assert ss.deliver(client, ss.event("checkout.session.completed", session)).status_code == 200
    return _db.session.scalars(select(Donation)).one(), session


@pytest.fixture
def plan(client, make_intent):
    """A monthly gift whose checkout completed: (plan, intent)."""
    intent = make_intent(frequency=Frequency.MONTHLY, amount_cents=2500)
    session = ss.checkout_session(intent, customer="cus_monthly1")
    assert ss.deliver(client, ss.event("checkout.session.completed", session)).status_code == 200
    return _db.session.scalars(select(RecurringPlan)).one(), intent


# --- one-time gifts ----------------------------------------------------------------------


def test_checkout_completed_records_a_receipted_gift(client, make_intent, mail):
    intent = make_intent(
        amount_cents=5000, cover_fee=True, source="spring-letter", anonymous=True,
        tribute_type="memory", tribute_name="Grandma Rose",
        tribute_notify_email="family@example.org", comment="For the school programme",
    )  # fmt: skip
    session = ss.checkout_session(intent, customer="cus_dana", payment_intent="pi_dana1")
    response = ss.deliver(client, ss.event("checkout.session.completed", session))

    assert response.status_code == 200
    donation = _db.session.scalars(select(Donation)).one()
    assert donation.amount_cents == intent.total_cents == 5000 + intent.covered_fee_cents
    assert donation.covered_fee_cents == intent.covered_fee_cents > 0
    assert donation.status == DonationStatus.SUCCEEDED
    assert donation.campaign_id == intent.campaign_id
    assert donation.fund.name == "Prevention programmes"
    assert (donation.source, donation.anonymous, donation.comment) == (
        "spring-letter", True, "For the school programme",
    )  # fmt: skip
    assert (donation.tribute_type, donation.tribute_name) == ("memory", "Grandma Rose")
    assert donation.stripe_payment_intent_id == "pi_dana1"
    assert donation.fee_cents is None  # the payload does not carry Stripe's fee
    assert donation.contact.email == "dana@example.org"
    assert donation.contact.stripe_customer_id == "cus_dana"
    assert _db.session.get(DonationIntent, intent.id).status == IntentStatus.COMPLETED
    assert donation.receipt is not None
    [receipt] = mail.to("dana@example.org")
    assert donation.receipt.number in receipt["Subject"]
    [notice] = mail.to("family@example.org")
    assert "Grandma Rose" in notice["Subject"]
    assert "Dana Donor" not in notice.get_body(("plain",)).get_content()  # anonymous


def test_donor_is_matched_by_normalised_email(client, make_intent, make_contact):
    existing = make_contact(first_name="Dana", last_name="Donor", email="Dana@Example.ORG")
    ss.deliver(client, ss.event("checkout.session.completed", ss.checkout_session(make_intent())))
    donation = _db.session.scalars(select(Donation)).one()
    assert donation.contact_id == existing.id
    assert count(Contact) == 1


def test_same_event_twice_and_a_second_event_for_the_session_make_one_gift(client, make_intent):
    session = ss.checkout_session(make_intent())
    first = ss.event("checkout.session.completed", session)
    assert ss.deliver(client, first).status_code == 200
    again = ss.deliver(client, first)
    assert again.status_code == 200 and again.json["outcome"] == "duplicate"
    other = ss.event("checkout.session.completed", session)  # same object, new event id
    assert ss.deliver(client, other).status_code == 200
    assert count(Donation) == 1 and count(Receipt) == 1 and count(StripeEvent) == 2
    assert stored(first["id"]).attempts == 1


def test_delayed_payment_is_pending_until_it_succeeds(client, make_intent, mail):
    intent = make_intent()
    unpaid = ss.checkout_session(intent, payment_status="unpaid")
    ss.deliver(client, ss.event("checkout.session.completed", unpaid))
    donation = _db.session.scalars(select(Donation)).one()
    assert donation.status == DonationStatus.PENDING and donation.receipt is None
    assert mail.to("dana@example.org") == []

    paid = {**unpaid, "payment_status": "paid"}
    ss.deliver(client, ss.event("checkout.session.async_payment_succeeded", paid))
    donation = _db.session.get(Donation, donation.id)
    assert donation.status == DonationStatus.SUCCEEDED and donation.receipt is not None
    assert len(mail.to("dana@example.org")) == 1
    # A late redelivery of the first event does not move it back.
    ss.deliver(client, ss.event("checkout.session.completed", unpaid))
    assert _db.session.get(Donation, donation.id).status == DonationStatus.SUCCEEDED


def test_delayed_payment_that_fails(client, make_intent):
    intent = make_intent()
    unpaid = ss.checkout_session(intent, payment_status="unpaid")
    ss.deliver(client, ss.event("checkout.session.completed", unpaid))
    ss.deliver(client, ss.event("checkout.session.async_payment_failed", unpaid))
    donation = _db.session.scalars(select(Donation)).one()
    assert donation.status == DonationStatus.FAILED and donation.receipt is None
    assert _db.session.get(DonationIntent, intent.id).status == IntentStatus.EXPIRED


def test_fee_is_kept_when_the_balance_transaction_is_expanded(client, gift):
    donation, session = gift
    charge = ss.charge(
        session["payment_intent"], 5000, balance_transaction=ss.balance_transaction(5000, 175)
    )
    assert ss.deliver(client, ss.event("charge.succeeded", charge)).status_code == 200
    donation = _db.session.get(Donation, donation.id)
    assert donation.fee_cents == 175 and donation.net_cents == 5000 - 175
    assert donation.stripe_charge_id == charge["id"]


# --- signatures ----------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["wrong secret", "stale", "tampered", "missing", "not json"])
def test_bad_signature_is_refused_and_writes_nothing(client, make_intent, problem):
    event = ss.event("checkout.session.completed", ss.checkout_session(make_intent()))
    body = ss.encode(event)
    before = table_counts()
    headers = {"Content-Type": "application/json"}
    if problem == "wrong secret":
        headers["Stripe-Signature"] = ss.sign(body, secret="whsec_someone_else")
    elif problem == "stale":
        headers["Stripe-Signature"] = ss.sign(body, timestamp=int(time.time()) - 301)
    elif problem == "tampered":
        headers["Stripe-Signature"] = ss.sign(body)
        body = body.replace(b'"amount_total": 5000', b'"amount_total": 9')
    elif problem == "not json":
        body = b"amount=5000"
        headers["Stripe-Signature"] = ss.sign(body)
    response = client.post("/webhooks/stripe", data=body, headers=headers)
    assert response.status_code == 400
    after = table_counts()
    # Nothing but the day's count of signed deliveries refused, which `stripe-check` reads.
    signed = problem != "missing"
    assert after.pop("stripe_webhook_refusals") == before.pop("stripe_webhook_refusals") + signed
    assert after == before
    assert _db.session.scalars(select(WebhookRefusal.count)).all() == ([1] if signed else [])


def test_signature_within_tolerance_is_accepted(client, make_intent):
    event = ss.event("checkout.session.completed", ss.checkout_session(make_intent()))
    response = ss.deliver(client, event, timestamp=int(time.time()) - 250)
    assert response.status_code == 200


# --- refunds and disputes --------------------------------------------------------------------


def test_partial_then_full_refund(client, gift):
    donation, session = gift
    pi = session["payment_intent"]
    first = ss.refund("ch_r1", pi, 2000, id="re_first")
    partial = ss.charge(pi, 5000, amount_refunded=2000, refunds=[first], id="ch_r1")
    partial_event = ss.event("charge.refunded", partial)
    assert ss.deliver(client, partial_event).status_code == 200
    donation = _db.session.get(Donation, donation.id)
    assert donation.status == DonationStatus.PARTIALLY_REFUNDED
    assert donation.refunded_cents == 2000 and donation.stripe_charge_id == "ch_r1"

    second = ss.refund("ch_r1", pi, 3000, id="re_second")
    full = ss.charge(pi, 5000, amount_refunded=5000, refunds=[second, first], id="ch_r1")
    assert ss.deliver(client, ss.event("charge.refunded", full)).status_code == 200
    ss.deliver(client, ss.event("charge.refunded", partial))  # a late, older copy
    donation = _db.session.get(Donation, donation.id)
    assert donation.status == DonationStatus.REFUNDED and donation.refunded_cents == 5000
    ids = _db.session.scalars(select(Refund.stripe_refund_id).order_by(Refund.id)).all()
    assert ids == ["re_first", "re_second"]


def test_refund_without_listed_refunds_uses_the_cumulative_amount(client, gift):
    """The current API does not include charge.refunds unless expanded."""
    donation, session = gift
    pi = session["payment_intent"]
    ss.deliver(client, ss.event("charge.refunded", ss.charge(pi, 5000, amount_refunded=1500)))
    ss.deliver(client, ss.event("charge.refunded", ss.charge(pi, 5000, amount_refunded=1500)))
    donation = _db.session.get(Donation, donation.id)
    assert donation.refunded_cents == 1500
    # The same refund listed later by id is not counted again.
    listed = ss.charge(pi, 5000, amount_refunded=1500, refunds=[ss.refund("ch", pi, 1500)])
    ss.deliver(client, ss.event("charge.refunded", listed))
    assert _db.session.get(Donation, donation.id).refunded_cents == 1500


def test_dispute_opened_then_lost(client, gift, make_user, mail):
    donation, session = gift
    admin, fundraiser = make_user(Role.ADMIN), make_user(Role.FUNDRAISER)
    coordinator = make_user(Role.COORDINATOR)
    pi = session["payment_intent"]
    opened = ss.dispute("ch_d1", pi, 5000, "needs_response", id="dp_1")
    opened["evidence_details"]["due_by"] = 1_800_000_000  # 2027-01-15 08:00 UTC
    assert ss.deliver(client, ss.event("charge.dispute.created", opened)).status_code == 200
    ss.deliver(client, ss.event("charge.dispute.created", opened))  # Stripe resends
    donation = _db.session.get(Donation, donation.id)
    assert donation.disputed and donation.status == DonationStatus.SUCCEEDED
    dispute = _db.session.scalars(select(Dispute)).one()
    assert dispute.status == DisputeStatus.OPEN
    assert dispute.evidence_due_at.timestamp() == 1_800_000_000
    for user in (admin, fundraiser):
        [alert] = mail.to(user.email)
        assert "Dispute opened" in alert["Subject"] and "$50.00" in alert["Subject"]
        text = alert.get_body(("plain",)).get_content()
        assert f"http://localhost/donations/{donation.id}" in text
        assert "evidence by Friday 15 January 2027, 03:00 EST" in text  # in ORG_TIMEZONE
    assert mail.to(coordinator.email) == []

    lost = {**opened, "status": "lost"}
    assert ss.deliver(client, ss.event("charge.dispute.closed", lost)).status_code == 200
    donation = _db.session.get(Donation, donation.id)
    assert donation.status == DonationStatus.REFUNDED and donation.refunded_cents == 5000
    assert donation.disputed is False  # closed
    assert _db.session.scalars(select(Dispute)).one().status == DisputeStatus.LOST
    # A chargeback, not a refund we made to the donor.
    [chargeback] = donation.refunds
    assert (chargeback.kind, chargeback.amount_cents) == (RefundKind.CHARGEBACK, 5000)
    assert chargeback.dispute_id == dispute.id and donation.charged_back_cents == 5000
    [lost_alert] = [m for m in mail.to(admin.email) if "Dispute lost" in m["Subject"]]
    assert "charged back" in lost_alert["Subject"]
    assert "chargeback" in lost_alert.get_body(("plain",)).get_content()


def test_dispute_won_clears_the_flag(client, gift):
    donation, session = gift
    opened = ss.dispute("ch_d2", session["payment_intent"], 5000, "under_review")
    ss.deliver(client, ss.event("charge.dispute.created", opened))
    ss.deliver(client, ss.event("charge.dispute.closed", {**opened, "status": "won"}))
    donation = _db.session.get(Donation, donation.id)
    assert not donation.disputed and donation.refunded_cents == 0
    assert donation.status == DonationStatus.SUCCEEDED


# --- monthly gifts -------------------------------------------------------------------------


def test_three_paid_invoices_on_one_plan_make_three_gifts(client, plan, mail):
    plan, intent = plan
    assert plan.status == PlanStatus.ACTIVE
    assert plan.stripe_customer_id == "cus_monthly1" and plan.amount_cents == 2500
    assert count(Donation) == 0  # gifts come from invoices
    invoices = [ss.invoice(plan.stripe_subscription_id, 2500) for _ in range(3)]
    for inv in invoices:
        assert ss.deliver(client, ss.event("invoice.paid", inv)).status_code == 200
    ss.deliver(client, ss.event("invoice.paid", invoices[0]))  # a second event, same invoice
    gifts = _db.session.scalars(select(Donation).order_by(Donation.id)).all()
    assert [g.stripe_invoice_id for g in gifts] == [inv["id"] for inv in invoices]
    assert {g.recurring_plan_id for g in gifts} == {plan.id}
    assert all(g.status == DonationStatus.SUCCEEDED and g.receipt for g in gifts)
    assert len({g.receipt.number for g in gifts}) == 3
    assert len(mail.to("dana@example.org")) == 3


def test_invoice_payment_failed_makes_plan_past_due_and_mails_donor(client, plan, mail):
    plan, _ = plan
    failed = ss.invoice(plan.stripe_subscription_id, 2500, status="open", customer="cus_monthly1")
    assert ss.deliver(client, ss.event("invoice.payment_failed", failed)).status_code == 200
    assert _db.session.get(RecurringPlan, plan.id).status == PlanStatus.PAST_DUE
    [message] = mail.to("dana@example.org")
    assert "could not be charged" in message["Subject"]
    assert "/give/manage/" in message.get_body(("plain",)).get_content()
    # Stripe's next retry fails too: no second email for the same lapse.
    ss.deliver(client, ss.event("invoice.payment_failed", failed))
    assert len(mail.to("dana@example.org")) == 1
    # The card is updated and the retry succeeds.
    paid = {**failed, "status": "paid", "amount_paid": 2500}
    ss.deliver(client, ss.event("invoice.paid", paid))
    assert _db.session.get(RecurringPlan, plan.id).status == PlanStatus.ACTIVE


def test_subscription_updated_and_deleted(client, plan):
    plan, _ = plan
    sub = plan.stripe_subscription_id
    ss.deliver(client, ss.event("customer.subscription.updated", ss.subscription(sub, "past_due")))
    assert _db.session.get(RecurringPlan, plan.id).status == PlanStatus.PAST_DUE
    raised = ss.subscription(sub, "active", amount=4000)
    ss.deliver(client, ss.event("customer.subscription.updated", raised))
    plan = _db.session.get(RecurringPlan, plan.id)
    assert plan.status == PlanStatus.ACTIVE and plan.amount_cents == 4000
    ended = ss.subscription(sub, "canceled")
    ss.deliver(client, ss.event("customer.subscription.deleted", ended))
    ss.deliver(client, ss.event("customer.subscription.updated", raised))  # late, older state
    plan = _db.session.get(RecurringPlan, plan.id)
    assert plan.status == PlanStatus.CANCELLED and plan.cancelled_at is not None


def test_refund_of_a_monthly_gift_found_through_its_invoice_payment(client, plan):
    plan, _ = plan
    inv = ss.invoice(plan.stripe_subscription_id, 2500)
    pi = "pi_monthly_1"
    # invoice_payment.paid often comes first: it waits for the gift, then links it.
    early = ss.event("invoice_payment.paid", ss.invoice_payment(inv["id"], pi, 2500))
    assert ss.deliver(client, early).status_code == 200  # stored: Stripe need not retry
    assert stored(early["id"]).status == StripeEventStatus.WAITING
    assert stored(early["id"]).waiting_for == f"invoice {inv['id']}"
    ss.deliver(client, ss.event("invoice.paid", inv))
    assert stored(early["id"]).status == StripeEventStatus.PROCESSED
    ss.deliver(client, ss.event("charge.refunded", ss.charge(pi, 2500, amount_refunded=2500)))
    gift = _db.session.scalars(select(Donation)).one()
    assert gift.stripe_payment_intent_id == pi and gift.status == DonationStatus.REFUNDED


# --- order, unknown types, failures --------------------------------------------------------


def test_refund_before_the_gift_waits_then_applies(client, make_intent):
    """Out of order: the refund is stored and acknowledged, waits, and is applied as soon
    as checkout.session.completed records the gift."""
    session = ss.checkout_session(make_intent(), payment_intent="pi_early")
    refunded = ss.event("charge.refunded", ss.charge("pi_early", 5000, amount_refunded=1000))
    response = ss.deliver(client, refunded)
    assert response.status_code == 200 and response.json["outcome"] == "queued"
    row = stored(refunded["id"])
    assert row.status == StripeEventStatus.WAITING and row.attempts == 1
    assert row.error == "waiting for payment_intent pi_early"
    assert row.waiting_for == "payment_intent pi_early" and row.next_attempt_at is not None
    assert count(Donation) == 0

    assert ss.deliver(client, ss.event("checkout.session.completed", session)).status_code == 200
    donation = _db.session.scalars(select(Donation)).one()
    assert donation.refunded_cents == 1000
    assert donation.status == DonationStatus.PARTIALLY_REFUNDED
    assert stored(refunded["id"]).status == StripeEventStatus.PROCESSED
    retry = ss.deliver(client, refunded)  # Stripe's own retry, later
    assert retry.status_code == 200 and retry.json["outcome"] == "duplicate"
    assert _db.session.get(Donation, donation.id).refunded_cents == 1000


def test_invoice_before_checkout_creates_the_plan_from_subscription_metadata(client, make_intent):
    intent = make_intent(frequency=Frequency.MONTHLY, amount_cents=2500)
    session = ss.checkout_session(intent, customer="cus_m2", subscription="sub_early")
    inv = ss.invoice("sub_early", 2500, customer="cus_m2", intent_public_id=intent.public_id)
    assert ss.deliver(client, ss.event("invoice.paid", inv)).status_code == 200
    assert ss.deliver(client, ss.event("checkout.session.completed", session)).status_code == 200
    plan = _db.session.scalars(select(RecurringPlan)).one()
    assert plan.status == PlanStatus.ACTIVE and plan.stripe_customer_id == "cus_m2"
    assert _db.session.scalars(select(Donation)).one().recurring_plan_id == plan.id


def test_dispute_closed_before_created(client, gift):
    donation, session = gift
    opened = ss.dispute("ch_d3", session["payment_intent"], 2000, "needs_response")
    ss.deliver(client, ss.event("charge.dispute.closed", {**opened, "status": "lost"}))
    ss.deliver(client, ss.event("charge.dispute.created", opened))
    donation = _db.session.get(Donation, donation.id)
    assert donation.refunded_cents == 2000
    assert _db.session.scalars(select(Dispute)).one().status == DisputeStatus.LOST


def test_unknown_event_type_is_acknowledged_and_writes_nothing(client, db):
    """A type the CRM does not use is verified and acknowledged, and not even stored (the
    endpoint should not be subscribed to it; `flask crm stripe-check` lists such types)."""
    before = table_counts()
    event = ss.event("customer.tax_id.created", {"id": "txi_1", "object": "tax_id"})
    response = ss.deliver(client, event)
    assert response.status_code == 200 and response.json["outcome"] == "ignored"
    assert table_counts() == before
    assert stored(event["id"]) is None


def test_handler_failure_is_stored_with_its_reason_retried_and_the_cli_reprocesses(
    client, runner, make_intent, monkeypatch, mail
):
    def broken(intent, donation):
        raise RuntimeError("tribute printer on fire")

    monkeypatch.setattr(events.checkout, "_notify_tribute", broken)
    event = ss.event("checkout.session.completed", ss.checkout_session(make_intent()))
    response = ss.deliver(client, event)
    assert response.status_code == 200  # stored durably: Stripe need not retry, we do
    assert "on fire" not in response.text  # no internals in the answer
    row = stored(event["id"])
    assert row.status == StripeEventStatus.FAILED and row.attempts == 1
    assert "tribute printer on fire" in row.error
    assert row.next_attempt_at > row.received_at  # the sweep retries it
    assert count(Donation) == 0 and count(Contact) == 0 and count(Receipt) == 0  # rolled back

    monkeypatch.undo()
    result = runner.invoke(args=["crm", "stripe-reprocess", event["id"]])
    assert result.exit_code == 0, result.output
    assert f"{event['id']} (checkout.session.completed): processed" in result.output
    row = stored(event["id"])
    assert row.status == StripeEventStatus.PROCESSED and row.attempts == 2 and row.error is None
    assert row.next_attempt_at is None
    assert count(Donation) == 1 and count(Receipt) == 1
    assert len(mail.to("dana@example.org")) == 1
    # Stripe's retry after the fix is a duplicate.
    assert ss.deliver(client, event).json["outcome"] == "duplicate"


def test_cli_reprocess_failed_and_unknown_ids(client, runner, make_intent, make_user, mail):
    fundraiser = make_user(Role.FUNDRAISER)
    session = ss.checkout_session(make_intent(), payment_intent="pi_late")
    refunded = ss.event("charge.refunded", ss.charge("pi_late", 5000, amount_refunded=1000))
    disputed = ss.event(
        "charge.dispute.created", ss.dispute("ch_x", "pi_late", 4000, "needs_response")
    )
    assert ss.deliver(client, refunded).status_code == 200
    assert ss.deliver(client, disputed).status_code == 200
    result = runner.invoke(args=["crm", "stripe-reprocess", "--failed"])
    assert result.exit_code == 1
    assert "waiting - waiting for payment_intent pi_late" in result.output
    assert stored(refunded["id"]).attempts == 2

    # The gift is recorded without the waiting events being replayed (say, that replay was
    # interrupted); staff re-run the failed events.
    with client.application.app_context():
        completed = ss.event("checkout.session.completed", session)
        events.handle(completed, events.Context(received_at=utcnow()))
        _db.session.commit()
    result = runner.invoke(args=["crm", "stripe-reprocess", "--failed"])
    assert result.exit_code == 0, result.output
    assert result.output.count(": processed") == 2
    donation = _db.session.scalars(select(Donation)).one()
    assert donation.status == DonationStatus.PARTIALLY_REFUNDED and donation.disputed
    [alert] = mail.to(fundraiser.email)  # built outside any request: links still absolute
    assert f"http://localhost/donations/{donation.id}" in alert.get_body(("plain",)).get_content()

    result = runner.invoke(args=["crm", "stripe-reprocess", "evt_nope"])
    assert result.exit_code == 1 and "no such event" in result.output


def test_the_event_is_stored_as_received(client, make_intent):
    event = ss.event("checkout.session.completed", ss.checkout_session(make_intent()))
    ss.deliver(client, event)
    row = stored(event["id"])
    assert row.type == "checkout.session.completed"
    assert row.payload["data"]["object"]["id"] == event["data"]["object"]["id"]
    assert json.loads(json.dumps(row.payload)) == event
    assert row.processed_at is not None
