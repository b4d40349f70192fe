"""Reading Stripe through the SDK: what a payment cost in fees, which Checkout Session or
invoice a payment belongs to, a customer's name and email, a payout's balance transactions
and the webhook endpoints. Plain data out; `LookupFailed` (Stripe's error class) when Stripe
cannot be reached or refuses, `None` when the object does not exist (yet)."""

from collections.abc import Iterator
from dataclasses import dataclass

import stripe

from crm.payments.client import stripe_client
from crm.payments.money import from_stripe_amount
from crm.payments.payloads import id_of

LookupFailed = stripe.StripeError


@dataclass(frozen=True)
class ChargeFacts:
    """A settled charge: its ids and, once Stripe has booked it, its balance transaction."""

    charge_id: str
    payment_intent_id: str | None
    balance_transaction_id: str | None
    fee_cents: int | None  # None until the balance transaction exists
    amount_cents: int
    currency: str


def _missing(exc: stripe.StripeError) -> bool:
    return isinstance(exc, stripe.InvalidRequestError) and exc.http_status == 404


def charge_facts(
    *, payment_intent: str | None = None, charge: str | None = None, invoice: str | None = None
):
    """The charge that paid an invoice or a payment intent (or the charge itself) with
    Stripe's fee, read from its balance transaction; None when Stripe has no such payment or
    no charge yet."""
    client = stripe_client().v1
    if invoice and not (payment_intent or charge):
        payment_intent = invoice_payment_intent(invoice)
    try:
        if charge is None and payment_intent:
            intent = client.payment_intents.retrieve(payment_intent).to_dict()
            charge = id_of(intent.get("latest_charge"))
            if charge is None:  # API versions before 2022-11-15 list the charges instead
                listed = (intent.get("charges") or {}).get("data") or []
                charge = listed[0]["id"] if listed else None
        if charge is None:
            return None
        found = client.charges.retrieve(charge, {"expand": ["balance_transaction"]}).to_dict()
    except stripe.StripeError as exc:
        if _missing(exc):
            return None
        raise
    return facts_of_charge(found)


def facts_of_charge(charge: dict) -> ChargeFacts:
    currency = (charge.get("currency") or "usd").upper()
    transaction = charge.get("balance_transaction")
    fee = None
    if isinstance(transaction, dict) and transaction.get("fee") is not None:
        fee = from_stripe_amount(transaction["fee"], currency)
    return ChargeFacts(
        charge_id=charge["id"],
        payment_intent_id=id_of(charge.get("payment_intent")),
        balance_transaction_id=id_of(transaction),
        fee_cents=fee,
        amount_cents=from_stripe_amount(charge.get("amount"), currency),
        currency=currency,
    )


def balance_transaction_fee(transaction_id: str, currency: str) -> int:
    transaction = stripe_client().v1.balance_transactions.retrieve(transaction_id)
    return from_stripe_amount(transaction.fee, currency)


def invoice_payment_intent(invoice_id: str) -> str | None:
    """The payment intent that paid an invoice (the current API lists it under the invoice's
    payments, not on the invoice)."""
    try:
        payments = stripe_client().v1.invoice_payments.list({"invoice": invoice_id, "limit": 10})
    except stripe.StripeError as exc:
        if _missing(exc):
            return None
        raise
    for row in payments.to_dict().get("data") or []:
        if row.get("status") == "paid":
            found = id_of((row.get("payment") or {}).get("payment_intent"))
            if found:
                return found
    return None


def invoice_paid_by(payment_intent: str) -> dict | None:
    """The invoice a payment intent paid, if it paid one."""
    params = {"payment": {"type": "payment_intent", "payment_intent": payment_intent}}
    rows = stripe_client().v1.invoice_payments.list({**params, "limit": 1}).to_dict()
    for row in rows.get("data") or []:
        invoice = id_of(row.get("invoice"))
        if invoice:
            return stripe_client().v1.invoices.retrieve(invoice).to_dict()
    return None


def checkout_session_of(payment_intent: str) -> dict | None:
    """The Checkout Session that took a payment, if one did (a Payment Link is one)."""
    listed = (
        stripe_client()
        .v1.checkout.sessions.list({"payment_intent": payment_intent, "limit": 1})
        .to_dict()
    )
    rows = listed.get("data") or []
    return rows[0] if rows else None


def customer_details(customer_id: str) -> tuple[str | None, str | None]:
    """(email, name) of a Stripe customer; (None, None) when it does not exist."""
    try:
        customer = stripe_client().v1.customers.retrieve(customer_id).to_dict()
    except stripe.StripeError as exc:
        if _missing(exc):
            return None, None
        raise
    if customer.get("deleted"):
        return None, None
    return customer.get("email"), customer.get("name")


def payout_transactions(payout_id: str) -> Iterator[dict]:
    """Every balance transaction a payout carried, with its source expanded (the charge,
    refund or dispute), page after page."""
    params = {"payout": payout_id, "limit": 100, "expand": ["data.source"]}
    listed = stripe_client().v1.balance_transactions.list(params)
    for transaction in listed.auto_paging_iter():
        yield transaction.to_dict()


def webhook_endpoints() -> list[dict]:
    listed = stripe_client().v1.webhook_endpoints.list({"limit": 100})
    return [endpoint.to_dict() for endpoint in listed.auto_paging_iter()]


def recent_events(types: list[str], limit: int = 20) -> list[dict]:
    """The newest events of these types Stripe holds (the last 30 days)."""
    listed = stripe_client().v1.events.list({"types": types, "limit": limit})
    return [event.to_dict() for event in listed.data]
