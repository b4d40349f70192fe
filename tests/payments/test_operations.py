"""The staff screens' Stripe operations, with the real SDK against localstripe on loopback."""

import pytest
import stripe

from crm.payments import operations
from crm.payments.client import stripe_client
from tests.stripe_support import localstripe, stripe_api  # noqa: F401

pytestmark = pytest.mark.usefixtures("stripe_api")


class RecordingHTTPClient(stripe.RequestsClient):
    """The SDK's own HTTP client, keeping what it sends."""

    def __init__(self):
        super().__init__(timeout=10)
        self.sent = []

    def request(self, method, url, headers, post_data=None):
        self.sent.append({"method": method, "url": url, "headers": dict(headers or {}),
                          "body": post_data})  # fmt: skip
        return super().request(method, url, headers, post_data)


def paid_payment_intent(amount: int = 5000) -> str:
    client = stripe_client().v1
    customer = client.customers.create({"email": "dana@example.org", "name": "Dana Donor"})
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    method = client.payment_methods.create({"type": "card", "card": card})
    intent = client.payment_intents.create(
        {
            "amount": amount,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": method.id,
            "confirm": True,
        }  # fmt: skip
    )
    assert intent.status == "succeeded"
    return intent.id


def monthly_subscription(amount: int = 2500):
    client = stripe_client().v1
    customer = client.customers.create({"email": "monthly@example.org"})
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    method = client.payment_methods.create({"type": "card", "card": card})
    client.payment_methods.attach(method.id, {"customer": customer.id})
    client.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": method.id}}
    )
    product = client.products.create({"name": "Monthly gift"})
    plan = client.plans.create(
        {"amount": amount, "currency": "usd", "interval": "month", "product": product.id}
    )
    return client.subscriptions.create({"customer": customer.id, "items": [{"plan": plan.id}]})


def test_partial_then_full_refund_of_a_payment_intent(app):
    with app.app_context():
        payment_intent = paid_payment_intent(5000)
        first = operations.refund(payment_intent, 2000, "USD", "refund-test-1")
        second = operations.refund(payment_intent, 3000, "USD", "refund-test-2")
        latest = stripe_client().v1.payment_intents.retrieve(payment_intent).latest_charge
        charge = stripe_client().v1.charges.retrieve(getattr(latest, "id", latest))
    assert first["id"].startswith("re_") and first["id"] != second["id"]
    assert (first["amount_cents"], first["status"]) == (2000, "succeeded")
    assert second["amount_cents"] == 3000
    assert charge.amount_refunded == 5000


def test_refund_sends_the_amount_in_stripe_units_and_the_idempotency_key(app, localstripe):  # noqa: F811
    recorder = RecordingHTTPClient()
    with app.app_context():
        payment_intent = paid_payment_intent(5000)
        app.extensions["crm.stripe_client"] = stripe.StripeClient(
            "sk_test_dummy", base_addresses={"api": localstripe.url}, http_client=recorder
        )
        operations.refund(payment_intent, 1234, "USD", "donation-7-refund-1")
    [sent] = [s for s in recorder.sent if s["url"].endswith("/v1/refunds")]
    assert sent["method"] == "post"
    assert sent["headers"]["Idempotency-Key"] == "donation-7-refund-1"
    assert "amount=1234" in sent["body"] and f"payment_intent={payment_intent}" in sent["body"]


def test_cancel_a_subscription(app):
    with app.app_context():
        subscription = monthly_subscription()
        assert subscription.status == "active"
        assert operations.cancel_subscription(subscription.id) == "canceled"
        again = stripe_client().v1.subscriptions.retrieve(subscription.id)
    assert again.status == "canceled"


def test_stripe_refusals_raise_payment_error(app):
    with app.app_context():
        with pytest.raises(operations.PaymentError):
            operations.refund("pi_does_not_exist", 100, "USD", "k")
        with pytest.raises(operations.PaymentError):
            operations.cancel_subscription("sub_does_not_exist")
        # localstripe has no customer portal: callers fall back to our emailed link.
        customer = stripe_client().v1.customers.create({"email": "x@example.org"})
        with pytest.raises(operations.PaymentError):
            operations.billing_portal_url(customer.id, "http://localhost/give/manage/done")
