"""Stripe Checkout Sessions for online gifts: the hand-off from our form to Stripe's page.

Callers pass plain values (this package imports no domain); the amount is converted to
Stripe's units here and nowhere else.
"""

from dataclasses import dataclass, field

import stripe

from crm.payments.client import stripe_client
from crm.payments.money import to_stripe_amount
from crm.payments.payloads import INTENT_METADATA_KEY


class CheckoutError(RuntimeError):
    """Stripe did not open a Checkout Session; nothing was charged. The message is for the
    log (it may name keys or parameters), not for the donor."""


@dataclass(frozen=True)
class CheckoutRequest:
    reference: str  # our id for the gift; comes back in metadata and client_reference_id
    amount_minor: int  # in the currency's minor units, fee cover included
    currency: str
    monthly: bool
    product_name: str  # the line the donor sees on Stripe's page and statement
    customer_email: str
    success_url: str  # may contain {CHECKOUT_SESSION_ID}, which Stripe fills in
    cancel_url: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


def checkout_params(request: CheckoutRequest) -> dict:
    """The Checkout Session to create: one-time `payment` or monthly `subscription`."""
    # The webhook finds the gift by this key (payloads.intent_public_id), on the session and,
    # for monthly gifts, on the subscription and every invoice it bills.
    metadata = {**request.metadata, INTENT_METADATA_KEY: request.reference}
    price_data = {
        "currency": request.currency.lower(),
        "unit_amount": to_stripe_amount(request.amount_minor, request.currency),
        "product_data": {"name": request.product_name},
    }
    params = {
        "line_items": [{"price_data": price_data, "quantity": 1}],
        "customer_email": request.customer_email,
        "client_reference_id": request.reference,
        "metadata": metadata,
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
    }
    if request.monthly:
        price_data["recurring"] = {"interval": "month"}
        params.update(mode="subscription", subscription_data={"metadata": metadata})
    else:
        # "always": a Stripe customer for one-time gifts too, so the contact can keep its id.
        params.update(
            mode="payment",
            submit_type="donate",
            customer_creation="always",
            payment_intent_data={"metadata": metadata},
        )
    return params


def create_checkout_session(request: CheckoutRequest) -> CheckoutSession:
    """Open a Checkout Session; one per gift reference, however often this is retried."""
    try:
        session = stripe_client().v1.checkout.sessions.create(
            checkout_params(request),
            options={"idempotency_key": f"intent-{request.reference}"},
        )
    except stripe.StripeError as exc:
        raise CheckoutError(f"{type(exc).__name__}: {exc}") from exc
    if not session.id or not session.url:
        raise CheckoutError(f"Checkout Session without an id or url: {session.id!r}")
    return CheckoutSession(id=session.id, url=session.url)
