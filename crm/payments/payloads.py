"""Reading Stripe's webhook objects: where each field lives, in the current API and the older
shapes Stripe still sends to endpoints pinned to an earlier version. Plain dicts in, plain
values out (amounts in minor units), so the donations handlers never parse Stripe's JSON."""

from datetime import UTC, datetime

from crm.payments.money import from_stripe_amount

# Where our DonationIntent's public id travels: the Checkout Session's metadata and
# client_reference_id, and the subscription's metadata (see checkout.checkout_params).
INTENT_METADATA_KEY = "intent"


def id_of(value) -> str | None:
    """An object reference is an id, or the object itself when expanded."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def currency_of(obj: dict, default: str) -> str:
    return (obj.get("currency") or default).upper()


def amount(obj: dict, field: str, currency: str) -> int | None:
    value = obj.get(field)
    return None if value is None else from_stripe_amount(value, currency)


def intent_public_id(obj: dict) -> str | None:
    """Our intent id on a Checkout Session, subscription or invoice parent."""
    metadata = obj.get("metadata") or {}
    return metadata.get(INTENT_METADATA_KEY) or obj.get("client_reference_id") or None


def invoice_subscription_id(invoice: dict) -> str | None:
    """The subscription an invoice bills: `parent.subscription_details` in the current API,
    `subscription` in older ones, or the subscription named on a line item."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    found = id_of(details.get("subscription")) or id_of(invoice.get("subscription"))
    if found:
        return found
    for line in (invoice.get("lines") or {}).get("data") or []:
        item = (line.get("parent") or {}).get("subscription_item_details") or {}
        found = id_of(item.get("subscription")) or id_of(line.get("subscription"))
        if found:
            return found
    return None


def invoice_intent_public_id(invoice: dict) -> str | None:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    older = invoice.get("subscription_details") or {}  # API versions of 2023-2024
    metadata = details.get("metadata") or older.get("metadata") or {}
    return metadata.get(INTENT_METADATA_KEY)


def invoice_payment_ids(invoice: dict) -> tuple[str | None, str | None]:
    """(payment intent, charge) that paid an invoice: the top-level fields of older API
    versions, or `payments` when Stripe included that list."""
    payment_intent = id_of(invoice.get("payment_intent"))
    charge = id_of(invoice.get("charge"))
    for row in (invoice.get("payments") or {}).get("data") or []:
        payment = row.get("payment") or {}
        payment_intent = payment_intent or id_of(payment.get("payment_intent"))
        charge = charge or id_of(payment.get("charge"))
    return payment_intent, charge


def processor_fee(obj: dict | None, currency: str) -> int | None:
    """Stripe's fee, when the charge (or payment intent's latest charge) carries its balance
    transaction expanded; None when the payload only names it."""
    if not isinstance(obj, dict):
        return None
    if obj.get("object") == "payment_intent":
        return processor_fee(obj.get("latest_charge"), currency)
    transaction = obj.get("balance_transaction")
    if isinstance(transaction, dict) and transaction.get("fee") is not None:
        return from_stripe_amount(transaction["fee"], currency)
    return None


def charge_refunds(charge: dict, currency: str) -> list[tuple[str, int, str | None]]:
    """(refund id, amount, reason) of every refund listed on a charge that was not reversed,
    oldest first. The current API lists none unless `refunds` was expanded."""
    listed = (charge.get("refunds") or {}).get("data") or []
    kept = [r for r in listed if r.get("status") not in ("failed", "canceled")]
    kept.sort(key=lambda r: r.get("created") or 0)
    return [(r["id"], from_stripe_amount(r.get("amount"), currency), r.get("reason")) for r in kept]


# Events that bring a gift, and where their charge is named.
GIFT_EVENTS = frozenset({
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "invoice.paid",
    "invoice.payment_succeeded",
    "charge.succeeded",
})  # fmt: skip


def charge_reference(event: dict) -> dict | None:
    """How to find the charge of an event that brings a gift: {"charge": ...},
    {"payment_intent": ...} or {"invoice": ...}; None for other events."""
    if event.get("type") not in GIFT_EVENTS:
        return None
    obj = event["data"]["object"]
    kind = obj.get("object")
    if kind == "charge":
        return {"charge": obj["id"]} if obj.get("status") == "succeeded" else None
    if kind == "checkout.session":
        payment_intent = id_of(obj.get("payment_intent"))
        return {"payment_intent": payment_intent} if payment_intent else None
    if kind == "invoice" and obj.get("amount_paid"):
        payment_intent, charge = invoice_payment_ids(obj)
        if charge:
            return {"charge": charge}
        return {"payment_intent": payment_intent} if payment_intent else {"invoice": obj["id"]}
    return None


def expanded_charge(event: dict) -> dict | None:
    """The charge a gift-bringing event carries whole, its balance transaction expanded (the
    charge itself, a session's or an invoice's payment intent with its latest charge), so
    that its fee needs no call to Stripe; None when the event only names it."""
    if event.get("type") not in GIFT_EVENTS:
        return None
    obj = event["data"]["object"]
    payments = [row.get("payment") or {} for row in (obj.get("payments") or {}).get("data") or []]
    candidates = [obj, obj.get("payment_intent"), obj.get("charge")]
    candidates += [p.get(key) for p in payments for key in ("payment_intent", "charge")]
    for found in candidates:
        if isinstance(found, dict) and found.get("object") == "payment_intent":
            found = found.get("latest_charge")
        if (
            isinstance(found, dict)
            and found.get("object") == "charge"
            and isinstance(found.get("balance_transaction"), dict)
        ):
            return found
    return None


def customer_of(obj: dict) -> tuple[str | None, str | None]:
    """(email, name) a Checkout Session, invoice or charge gives for the payer."""
    details = obj.get("customer_details") or {}
    billing = obj.get("billing_details") or {}
    email = (
        details.get("email")
        or obj.get("customer_email")
        or billing.get("email")
        or obj.get("receipt_email")
    )
    name = (
        details.get("name")
        or details.get("individual_name")
        or obj.get("customer_name")
        or billing.get("name")
    )
    return email or None, name or None


def dispute_fees(dispute: dict, currency: str) -> tuple[int, int]:
    """(fee charged, fee returned) from a dispute's balance transactions: Stripe's dispute
    fee is booked when the funds are withdrawn and given back, as a negative fee, if won."""
    charged = returned = 0
    for transaction in dispute.get("balance_transactions") or []:
        fee = from_stripe_amount(transaction.get("fee"), currency) if transaction.get("fee") else 0
        if fee > 0:
            charged += fee
        elif fee < 0:
            returned -= fee
    return charged, returned


# Dispute statuses: "warning_*" are inquiries that may never become a chargeback.
DISPUTE_WON = frozenset({"won", "warning_closed", "prevented"})
DISPUTE_LOST = frozenset({"lost"})


def dispute_outcome(status: str | None) -> str:
    """ "won", "lost" or "open"."""
    if status in DISPUTE_WON:
        return "won"
    if status in DISPUTE_LOST:
        return "lost"
    return "open"


def subscription_state(status: str | None) -> str | None:
    """ "active", "past_due", "cancelled", "incomplete", or None for a status we do not track
    (e.g. "paused")."""
    return {
        "active": "active",
        "trialing": "active",
        "past_due": "past_due",
        "unpaid": "past_due",
        "canceled": "cancelled",
        "incomplete_expired": "cancelled",
        "incomplete": "incomplete",
    }.get(status or "")


def subscription_amount(subscription: dict, currency: str) -> int | None:
    """The monthly amount of a one-item subscription (the donor may change it in the portal)."""
    items = (subscription.get("items") or {}).get("data") or []
    if len(items) != 1:
        return None
    item = items[0]
    price = item.get("price") or item.get("plan") or {}
    unit = price.get("unit_amount", price.get("amount"))
    if unit is None:
        return None
    return from_stripe_amount(unit * (item.get("quantity") or 1), currency)
