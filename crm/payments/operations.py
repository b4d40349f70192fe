"""Staff-initiated Stripe operations. They take ids and minor units and return plain data.

Each raises `PaymentError` (Stripe's own error class) when Stripe refuses or cannot be
reached; nothing is written on our side by these functions.
"""

import stripe

from crm.payments.client import stripe_client
from crm.payments.money import from_stripe_amount, to_stripe_amount
from crm.payments.portal import billing_portal_url  # noqa: F401  (one place for staff screens)

PaymentError = stripe.StripeError


def refund(payment_intent_id: str, amount_cents: int, currency: str, idempotency_key: str) -> dict:
    """Refund part or all of a payment; returns {"id", "amount_cents", "status"}.

    The idempotency key makes a retried request (double click, timeout) refund once."""
    result = stripe_client().v1.refunds.create(
        {"payment_intent": payment_intent_id, "amount": to_stripe_amount(amount_cents, currency)},
        options={"idempotency_key": idempotency_key},
    )
    return {
        "id": result.id,
        "amount_cents": from_stripe_amount(result.amount, currency),
        "status": result.status,
    }


def cancel_subscription(subscription_id: str) -> str:
    """Cancel a monthly gift at once; returns Stripe's new status ("canceled")."""
    return stripe_client().v1.subscriptions.cancel(subscription_id).status
