"""The events Stripe sends when a Checkout Session is paid, built here for the development
test checkout (no Stripe key, no network), and signed the way Stripe signs its webhooks.

Callers pass the CheckoutRequest that would have gone to Stripe, so the events carry the
same reference and metadata a real session would. Shapes follow the current API (as in
Stripe's fixtures): a one-time gift is a `checkout.session.completed` in payment mode, its
payment intent expanded to the charge's balance transaction so the fee travels with it; a
monthly gift is the session in subscription mode, then the first invoice's `invoice.paid`.
Ids start with `cs_devtest_`, `pi_devtest_`... and are derived from the reference, so
completing one test checkout twice delivers the same events twice (stored once)."""

import hashlib
import json
import time

import stripe

from crm.payments.checkout import CheckoutRequest, checkout_params
from crm.payments.money import to_stripe_amount

PREFIX = "devtest_"
API_VERSION = "2025-08-27.basil"


def session_id(reference: str) -> str:
    return f"cs_{PREFIX}{reference}"


def completed_events(request: CheckoutRequest, name: str, fee_minor: int) -> list[dict]:
    """What Stripe would send, in order, once the donor has paid."""
    amount = to_stripe_amount(request.amount_minor, request.currency)
    fee = to_stripe_amount(fee_minor, request.currency)
    ref = request.reference
    customer = "cus_" + PREFIX + hashlib.sha256(request.customer_email.encode()).hexdigest()[:14]
    metadata = checkout_params(request)["metadata"]
    session = {
        "id": session_id(ref), "object": "checkout.session", "status": "complete",
        "mode": "subscription" if request.monthly else "payment",
        "payment_status": "paid", "amount_subtotal": amount, "amount_total": amount,
        "currency": request.currency.lower(), "client_reference_id": ref, "metadata": metadata,
        "customer": customer, "customer_email": request.customer_email,
        "customer_details": {"email": request.customer_email, "name": name},
        "payment_intent": None, "subscription": None, "livemode": False,
    }  # fmt: skip
    if not request.monthly:
        session["payment_intent"] = _payment_intent(ref, amount, fee, request.currency, metadata)
        return [_event(f"{ref}_1", "checkout.session.completed", session)]
    subscription = f"sub_{PREFIX}{ref}"
    session["subscription"] = subscription
    invoice = _invoice(ref, amount, request.currency, customer, subscription, metadata)
    # the payment expanded, as for the one-time gift, so that its fee travels with it
    invoice["payments"]["data"][0]["payment"]["payment_intent"] = _payment_intent(
        ref, amount, fee, request.currency, metadata
    )
    return [
        _event(f"{ref}_1", "checkout.session.completed", session),
        _event(f"{ref}_2", "invoice.paid", invoice),
    ]


def _payment_intent(ref: str, amount: int, fee: int, currency: str, metadata: dict) -> dict:
    transaction = {"id": f"txn_{PREFIX}{ref}", "object": "balance_transaction", "type": "charge",
                   "amount": amount, "fee": fee, "net": amount - fee,
                   "currency": currency.lower(), "status": "pending"}  # fmt: skip
    charge = {"id": f"ch_{PREFIX}{ref}", "object": "charge", "amount": amount,
              "currency": currency.lower(), "paid": True, "status": "succeeded",
              "balance_transaction": transaction,
              "payment_intent": f"pi_{PREFIX}{ref}"}  # fmt: skip
    return {"id": f"pi_{PREFIX}{ref}", "object": "payment_intent", "amount": amount,
            "currency": currency.lower(), "status": "succeeded", "metadata": metadata,
            "latest_charge": charge}  # fmt: skip


def _invoice(ref, amount, currency, customer, subscription, metadata) -> dict:
    now = int(time.time())
    details = {"metadata": metadata, "subscription": subscription}
    return {
        "id": f"in_{PREFIX}{ref}", "object": "invoice", "status": "paid",
        "billing_reason": "subscription_create", "customer": customer,
        "currency": currency.lower(), "amount_due": amount, "amount_paid": amount,
        "amount_remaining": 0, "total": amount, "status_transitions": {"paid_at": now},
        "parent": {"type": "subscription_details", "subscription_details": details},
        "payments": {"object": "list", "data": [{"payment": {
            "type": "payment_intent", "payment_intent": f"pi_{PREFIX}{ref}",
        }}]},
        "livemode": False,
    }  # fmt: skip


def _event(key: str, type_: str, obj: dict) -> dict:
    return {"id": f"evt_{PREFIX}{key}", "object": "event", "api_version": API_VERSION,
            "created": int(time.time()), "type": type_, "data": {"object": obj},
            "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}}  # fmt: skip


def signed(event: dict, secret: str) -> tuple[bytes, str]:
    """The body and Stripe-Signature header of a delivery, signed as Stripe signs."""
    body = json.dumps(event)
    return body.encode(), stripe.WebhookSignature.generate_signature_header(body, secret)
