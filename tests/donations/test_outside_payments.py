"""Payments the giving page did not start — Payment Links, Checkout Sessions made elsewhere,
charges and invoices made in the Stripe dashboard, subscriptions the CRM did not create —
become gifts with their donor matched or created from the customer's email and name, or wait
on the Needs attention list with the reason and a way to resolve them."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.donations import inbox
from crm.donations.models import (
    Donation,
    DonationStatus,
    PlanStatus,
    RecurringPlan,
    StripeEvent,
    StripeEventStatus,
)
from crm.extensions import db as _db
from crm.modelbase import utcnow
from tests import stripe_support as ss


@pytest.fixture
def general(make_campaign, make_fund):
    """The giving page's default campaign (DEFAULT_CAMPAIGN_SLUG), with its default fund."""
    return make_campaign(slug="general", name="General", default_fund=make_fund("Where needed"))


def outside_session(amount=3000, email="jenny@example.org", name="Jenny Rosen", **fields):
    """A completed Checkout Session of a Payment Link: no intent of ours in it."""
    return {
        "id": ss._id("cs"), "object": "checkout.session", "mode": "payment",
        "status": "complete", "payment_status": "paid", "amount_total": amount,
        "currency": "usd", "client_reference_id": None, "metadata": {},
        "payment_link": "plink_1", "customer": ss._id("cus"),
        "customer_details": {"email": email, "name": name}, "payment_intent": ss._id("pi"),
        "subscription": None, "livemode": False, "created": 1_790_000_000, **fields,
    }  # fmt: skip


def stored(event_id: str) -> StripeEvent:
    _db.session.expire_all()
    return _db.session.get(StripeEvent, event_id)


def test_a_payment_link_gift_is_recorded_with_its_donor_and_receipt(client, general, mail):
    session = outside_session(3000)
    assert ss.deliver(client, ss.event("checkout.session.completed", session)).status_code == 200
    gift = _db.session.scalars(select(Donation)).one()
    assert (gift.amount_cents, gift.status, gift.campaign_id) == (
        3000, DonationStatus.SUCCEEDED, general.id,
    )  # fmt: skip
    assert gift.fund.name == "Where needed" and gift.source == "payment-link plink_1"
    assert (gift.contact.first_name, gift.contact.last_name) == ("Jenny", "Rosen")
    assert gift.contact.stripe_customer_id == session["customer"]
    [receipt] = mail.to("jenny@example.org")
    assert (
        gift.receipt.number in receipt["Subject"]
        and "$30.00" in receipt.get_body(("plain",)).get_content()
    )


def test_an_existing_donor_is_matched_by_email(client, general, make_contact):
    known = make_contact(first_name="Jen", last_name="R", email="Jenny@Example.org")
    ss.deliver(client, ss.event("checkout.session.completed", outside_session()))
    assert _db.session.scalars(select(Donation)).one().contact_id == known.id
    assert _db.session.scalars(select(Contact)).all() == [known]


def test_a_subscription_made_in_the_dashboard_gets_its_plan_from_the_invoice(client, general):
    invoice = ss.invoice("sub_dashboard", 4000, customer="cus_dash")
    invoice.update(customer_email="sam@example.org", customer_name="Sam Lee")
    assert ss.deliver(client, ss.event("invoice.paid", invoice)).status_code == 200
    second = {**ss.invoice("sub_dashboard", 4000, customer="cus_dash"),
              "customer_email": "sam@example.org"}  # fmt: skip
    ss.deliver(client, ss.event("invoice.paid", second))
    plan = _db.session.scalars(select(RecurringPlan)).one()
    assert (plan.amount_cents, plan.status, plan.stripe_subscription_id) == (
        4000, PlanStatus.ACTIVE, "sub_dashboard",
    )  # fmt: skip
    assert plan.contact.email == "sam@example.org" and plan.campaign_id == general.id
    gifts = _db.session.scalars(select(Donation).order_by(Donation.id)).all()
    assert [(g.amount_cents, g.recurring_plan_id) for g in gifts] == [(4000, plan.id)] * 2


def test_a_one_off_invoice_is_a_one_time_gift(client, general):
    invoice = ss.invoice("unused", 12500, customer="cus_inv")
    invoice.update(parent=None, lines={"object": "list", "data": []},
                   customer_email="org@example.org", customer_name="Acme Foundation")  # fmt: skip
    ss.deliver(client, ss.event("invoice.paid", invoice))
    gift = _db.session.scalars(select(Donation)).one()
    assert (gift.amount_cents, gift.recurring_plan_id, gift.stripe_invoice_id) == (
        12500, None, invoice["id"],
    )  # fmt: skip
    assert gift.contact.email == "org@example.org" and gift.source == "stripe-invoice"


def test_a_dashboard_charge_is_held_for_its_checkout_then_recorded(client, general, fake_stripe):
    pi, charge_id, _ = fake_stripe.payment(
        2000, fee=88, billing_details={"email": "walk@example.org", "name": "Wally Walker"}
    )
    event = ss.event("charge.succeeded", fake_stripe.objects[charge_id])
    assert ss.deliver(client, event).status_code == 200
    row = stored(event["id"])
    assert row.status == StripeEventStatus.WAITING
    assert row.next_attempt_at == row.received_at.replace(microsecond=0) + timedelta(minutes=15)
    assert _db.session.scalars(select(Donation)).all() == []
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        assert inbox.sweep()["processed"] == 1
    gift = _db.session.scalars(select(Donation)).one()
    assert (gift.amount_cents, gift.fee_cents, gift.net_cents) == (2000, 88, 1912)
    assert gift.contact.email == "walk@example.org" and gift.source == "stripe-charge"
    # It asked Stripe whether a Checkout Session or an invoice took this payment first.
    paths = fake_stripe.paths()
    assert "/v1/checkout/sessions" in paths and "/v1/invoice_payments" in paths


def test_a_charge_whose_checkout_event_never_came_is_recorded_as_its_session(
    client, general, fake_stripe
):
    pi, charge_id, _ = fake_stripe.payment(4500, fee=161)
    session = outside_session(4500, payment_intent=pi, email="lina@example.org", name="Lina Ode")
    fake_stripe.add(session)
    event = ss.event("charge.succeeded", fake_stripe.objects[charge_id], created=1_700_000_000)
    ss.deliver(client, event)  # an old event: the grace period is long over
    gift = _db.session.scalars(select(Donation)).one()
    assert gift.stripe_checkout_session_id == session["id"] and gift.stripe_charge_id == charge_id
    assert (gift.amount_cents, gift.fee_cents, gift.contact.email) == (
        4500,
        161,
        "lina@example.org",
    )
    # The checkout event, if it comes after all, finds the gift.
    ss.deliver(client, ss.event("checkout.session.completed", session))
    assert len(_db.session.scalars(select(Donation)).all()) == 1


@pytest.fixture
def fundraiser(client, make_user):
    user = make_user(Role.FUNDRAISER)
    client.login(user)
    return user


def test_a_payment_without_email_waits_for_staff_who_link_it_to_a_contact(
    client, general, fundraiser, make_contact, mail, fake_stripe
):
    session = outside_session(2600, email=None, name=None)
    # Nor does the Stripe customer have one (the CRM asks Stripe before giving up).
    fake_stripe.add({"id": session["customer"], "object": "customer", "email": None,
                     "name": None})  # fmt: skip
    event = ss.event("checkout.session.completed", session)
    ss.deliver(client, event)
    row = stored(event["id"])
    assert row.status == StripeEventStatus.ATTENTION and "no email address" in row.error
    assert f"/v1/customers/{session['customer']}" in fake_stripe.paths()
    page = client.get("/donations/attention")
    assert session["id"] in page.text and "no email address" in page.text
    assert "Record for this contact" in page.text
    donor = make_contact(first_name="Ola", last_name="Nord", email="ola@example.org")
    response = client.form(f"/donations/attention/{event['id']}/contact",
                           {"contact": "ola@example.org"}, follow_redirects=True)  # fmt: skip
    assert "Recorded." in response.text
    gift = _db.session.scalars(select(Donation)).one()
    assert (gift.contact_id, gift.amount_cents) == (donor.id, 2600)
    row = stored(event["id"])
    assert row.status == StripeEventStatus.PROCESSED and row.resolved_by_id == fundraiser.id
    assert "Nothing needs attention" in client.get("/donations/attention").text


def test_an_unknown_refund_alerts_staff_once_and_can_be_dismissed_with_a_note(
    client, fundraiser, make_user, mail
):
    from crm.donations import alerts

    coordinator = make_user(Role.COORDINATOR)
    refund = ss.event("charge.refunded", ss.charge("pi_elsewhere", 7000, amount_refunded=7000))
    ss.deliver(client, refund)
    assert stored(refund["id"]).status == StripeEventStatus.WAITING
    assert alerts.send_due_digests(utcnow())["attention"] == 0  # retries may settle it yet
    later = utcnow() + timedelta(hours=2)
    assert alerts.send_due_digests(later)["attention"] == 1
    assert alerts.send_due_digests(later)["attention"] == 0  # each event is told once
    [alert] = mail.to(fundraiser.email)
    text = alert.get_body(("plain",)).get_content()
    assert "charge.refunded" in text and "$70.00" in text and "waiting for payment_intent" in text
    assert "http://localhost/donations/attention" in text
    assert mail.to(coordinator.email) == []

    refused = client.form(f"/donations/attention/{refund['id']}/dismiss", {"note": ""},
                          follow_redirects=True)  # fmt: skip
    assert "Say why" in refused.text and stored(refund["id"]).status == StripeEventStatus.WAITING
    client.form(f"/donations/attention/{refund['id']}/dismiss",
                {"note": "Refund of a 2019 gift, before the CRM"})  # fmt: skip
    row = stored(refund["id"])
    assert row.status == StripeEventStatus.DISMISSED and row.note.startswith("Refund of a 2019")
    assert refund["id"] not in client.get("/donations/attention").text


def test_a_refund_of_an_imported_gift_is_linked_to_it(client, fundraiser, make_donation):
    imported = make_donation(amount_cents=9000, source="import")  # no Stripe ids
    refund = ss.event("charge.refunded", ss.charge("pi_old", 9000, amount_refunded=4000,
                                                   id="ch_old"))  # fmt: skip
    ss.deliver(client, refund)
    response = client.form(f"/donations/attention/{refund['id']}/gift", {"gift": f"#{imported.id}"},
                           follow_redirects=True)  # fmt: skip
    assert "Recorded." in response.text
    gift = _db.session.get(Donation, imported.id)
    assert (gift.stripe_charge_id, gift.stripe_payment_intent_id) == ("ch_old", "pi_old")
    assert (gift.refunded_cents, gift.status) == (4000, DonationStatus.PARTIALLY_REFUNDED)
    other = make_donation(amount_cents=100, stripe_charge_id="ch_taken")
    second = ss.event("charge.refunded", ss.charge(None, 100, amount_refunded=100, id="ch_new"))
    ss.deliver(client, second)
    refused = client.form(f"/donations/attention/{second['id']}/gift", {"gift": str(other.id)},
                          follow_redirects=True)  # fmt: skip
    assert "already paid by ch_taken" in refused.text
    assert stored(second["id"]).status == StripeEventStatus.WAITING


def test_a_monthly_payment_link_gets_a_plan_and_its_instalments(client, general):
    session = outside_session(1500, mode="subscription", payment_intent=None,
                              subscription="sub_plink", customer="cus_plink")  # fmt: skip
    ss.deliver(client, ss.event("checkout.session.completed", session))
    invoice = ss.invoice("sub_plink", 1500, customer="cus_plink")  # its metadata names no intent
    ss.deliver(client, ss.event("invoice.paid", invoice))
    plan = _db.session.scalars(select(RecurringPlan)).one()
    assert (plan.amount_cents, plan.status, plan.contact.email) == (
        1500, PlanStatus.ACTIVE, "jenny@example.org",
    )  # fmt: skip
    gift = _db.session.scalars(select(Donation)).one()
    assert (gift.recurring_plan_id, gift.amount_cents) == (plan.id, 1500)
    assert gift.campaign_id == general.id
