"""Staff refunds and plan cancellations through the real Stripe SDK against localstripe."""

import pytest
from sqlalchemy import func, select

from crm.auth.roles import Role
from crm.donations.models import DonationStatus, PlanStatus, RecurringPlan, Refund
from tests.payments.test_operations import monthly_subscription, paid_payment_intent
from tests.stripe_support import localstripe, stripe_api  # noqa: F401

pytestmark = pytest.mark.usefixtures("stripe_api")


@pytest.fixture
def fundraiser(client, make_user):
    client.login(make_user(Role.FUNDRAISER))
    return client


def test_a_card_gift_is_refunded_through_stripe_in_two_steps(fundraiser, make_donation, db):
    intent_id = paid_payment_intent(6000)
    gift = make_donation(amount_cents=6000, stripe_payment_intent_id=intent_id)
    fundraiser.form(f"/donations/{gift.id}/refund", {"amount": "20", "reason": "Asked by donor"})
    db.session.refresh(gift)
    assert gift.status == DonationStatus.PARTIALLY_REFUNDED and gift.refunded_cents == 2000
    refund = db.session.scalars(select(Refund)).one()
    assert refund.stripe_refund_id.startswith("re_")
    page = fundraiser.form(f"/donations/{gift.id}/refund", {"amount": "40"}, follow_redirects=True)
    assert "Refund made." in page.text
    db.session.refresh(gift)
    assert gift.status == DonationStatus.REFUNDED
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 2


def test_stripe_refusing_a_refund_writes_nothing(fundraiser, make_donation, db):
    gift = make_donation(amount_cents=6000, stripe_payment_intent_id="pi_does_not_exist")
    page = fundraiser.form(f"/donations/{gift.id}/refund", {"amount": "10"}, follow_redirects=True)
    assert "Stripe did not make the refund" in page.text
    db.session.refresh(gift)
    assert gift.refunded_cents == 0 and gift.status == DonationStatus.SUCCEEDED
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


def test_cancel_a_monthly_plan_through_stripe(fundraiser, make_contact, db):
    subscription = monthly_subscription(2500)
    plan = RecurringPlan(
        contact=make_contact(email="monthly@example.org"),
        amount_cents=2500,
        currency="USD",
        status=PlanStatus.ACTIVE,
        stripe_subscription_id=subscription.id,
    )
    db.session.add(plan)
    db.session.commit()
    page = fundraiser.form(f"/donations/plans/{plan.id}/cancel", follow_redirects=True)
    assert "Monthly gift cancelled" in page.text
    db.session.refresh(plan)
    assert plan.status == PlanStatus.CANCELLED and plan.cancelled_at is not None
    from crm.payments.client import stripe_client

    assert stripe_client().v1.subscriptions.retrieve(subscription.id).status == "canceled"


def test_email_the_donor_a_link_to_manage_the_plan(fundraiser, make_contact, db, mail):
    donor = make_contact(email="monthly@example.org")
    donor.stripe_customer_id = "cus_123"
    plan = RecurringPlan(contact=donor, amount_cents=2500, currency="USD", status=PlanStatus.ACTIVE)
    db.session.add(plan)
    db.session.commit()
    fundraiser.form(f"/donations/plans/{plan.id}/send-manage-link")
    (message,) = mail.to("monthly@example.org")
    assert "/give/manage/" in message.get_body(("plain",)).get_content()


def test_the_fee_is_fetched_when_the_event_only_names_the_balance_transaction(
    client, make_donation, db
):
    import tests.stripe_support as ss
    from crm.payments.client import stripe_client

    intent_id = paid_payment_intent(5000)
    charge = stripe_client().v1.payment_intents.retrieve(intent_id).to_dict()["charges"]["data"][0]
    assert isinstance(charge["balance_transaction"], str)
    gift = make_donation(amount_cents=5000, stripe_payment_intent_id=intent_id)
    assert gift.fee_cents is None
    payload = ss.charge(
        intent_id, 5000, id=charge["id"], balance_transaction=charge["balance_transaction"]
    )
    assert ss.deliver(client, ss.event("charge.succeeded", payload)).status_code == 200
    db.session.refresh(gift)
    assert gift.fee_cents == ss.card_fee(5000) == 175  # 2.9 % + 30 cents, read via the SDK
    assert gift.processing_fee_cents == 175 and gift.net_cents == 5000 - 175
