"""The real SDK against localstripe, with localstripe's signed webhooks flowing back into the
CRM served by its own process. localstripe sends events in an old API version (2017-08-15):
invoices name their subscription and payment intent at the top level, which the handlers
read as a fallback. It has no Checkout, no invoice.paid, no charge.refunded and no disputes,
so those are covered by the signed deliveries in test_webhooks.py."""

import pytest
import requests
from sqlalchemy import select

from crm.donations import services
from crm.donations.models import (
    Donation,
    DonationStatus,
    Frequency,
    PlanStatus,
    RecurringPlan,
    StripeEvent,
    StripeEventStatus,
)
from crm.extensions import db as _db
from crm.payments import operations
from crm.payments.client import stripe_client
from tests import stripe_support as ss
from tests.stripe_support import localstripe, stripe_api, webhook_app_server  # noqa: F401

EVENTS = ["customer.created", "invoice.payment_succeeded", "customer.subscription.deleted"]


@pytest.fixture
def webhooks_to_app(stripe_api, webhook_app_server):  # noqa: F811
    """localstripe posts these events, signed with the app's secret, to the live app."""
    config = f"{stripe_api.url}/_config/webhooks/crm"
    url = f"{webhook_app_server.url}/webhooks/stripe"
    response = requests.post(config, json={"url": url, "secret": ss.SECRET, "events": EVENTS})
    assert response.status_code == 200
    yield webhook_app_server
    # Nothing may reach the app (and the next test's database) after this test.
    requests.post(config, json={"url": "http://127.0.0.1:9/", "secret": "x", "events": []})


def query(statement):
    """Read what the other process committed, without holding a transaction open (a reader
    would block its writes on SQLite)."""
    try:
        return _db.session.execute(statement).scalars().all()
    finally:
        _db.session.rollback()


def test_subscription_gifts_refunds_and_cancellation_through_localstripe(
    app, db, make_campaign, webhooks_to_app, mail
):
    intent = services.create_intent(
        make_campaign(),
        {"frequency": Frequency.MONTHLY, "amount_cents": 2500, "first_name": "Dana",
         "last_name": "Donor", "email": "dana@example.org"},
    )  # fmt: skip
    db.session.commit()
    stripe = stripe_client().v1
    customer = stripe.customers.create({"email": "dana@example.org", "name": "Dana Donor"})
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    method = stripe.payment_methods.create({"type": "card", "card": card})
    stripe.payment_methods.attach(method.id, {"customer": customer.id})
    stripe.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": method.id}}
    )
    product = stripe.products.create({"name": "Monthly gift"})
    price = stripe.plans.create(
        {"amount": 2500, "currency": "usd", "interval": "month", "product": product.id}
    )
    subscription = stripe.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"plan": price.id}],
            "metadata": {"intent": intent.public_id},
        }  # fmt: skip
    )
    assert subscription.status == "active"
    # localstripe has no Checkout: we send the session event the way Stripe would.
    session = ss.checkout_session(intent, customer=customer.id, subscription=subscription.id)
    completed = ss.event("checkout.session.completed", session)
    assert ss.deliver_to(webhooks_to_app.url, completed).status_code == 200

    # localstripe's invoice.payment_succeeded (old shape) becomes the first monthly gift, with
    # Stripe's fee read through the SDK from the charge's balance transaction.
    [gift] = ss.wait_until(lambda: query(select(Donation)))
    plan = query(select(RecurringPlan))[0]
    assert gift.recurring_plan_id == plan.id and gift.amount_cents == 2500
    assert gift.fee_cents == ss.card_fee(2500) == 102 and gift.net_cents == 2398
    assert gift.stripe_payment_intent_id.startswith("pi_")
    assert plan.status == PlanStatus.ACTIVE and plan.stripe_customer_id == customer.id
    ss.wait_until(lambda: mail.to("dana@example.org"))  # the receipt

    # Staff refund part of it through Stripe, as the gift screen does.
    refund = operations.refund(gift.stripe_payment_intent_id, 1000, "USD", f"gift-{gift.id}-1")
    services.apply_refund(db.session.get(Donation, gift.id), 1000, stripe_refund_id=refund["id"])
    db.session.commit()
    assert query(select(Donation))[0].status == DonationStatus.PARTIALLY_REFUNDED

    # Staff cancel the plan through Stripe; customer.subscription.deleted comes back.
    assert operations.cancel_subscription(subscription.id) == "canceled"
    ss.wait_until(
        lambda: query(select(RecurringPlan.status))[0] == PlanStatus.CANCELLED, timeout=20
    )

    # Every delivery was verified, stored once and processed; customer.created, a type we do
    # not use, was acknowledged without being stored.
    rows = ss.wait_until(
        lambda: len(query(select(StripeEvent))) >= 3 and query(select(StripeEvent))
    )
    types = {row.type for row in rows}
    assert {
        "checkout.session.completed",
        "invoice.payment_succeeded",
        "customer.subscription.deleted",
    } == types
    assert {row.status for row in rows} == {StripeEventStatus.PROCESSED}
