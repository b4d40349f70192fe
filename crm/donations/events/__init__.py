"""What each Stripe event does to gifts, recurring plans, refunds, disputes and payouts.

Every handler is safe to run twice and in any order: it locks the row it changes, creates what
is missing and only moves statuses forward. A handler that needs a gift or plan that another
event has not brought yet raises `NotYetKnown`: the event waits and is replayed as soon as an
event makes that record known (handlers return the keys of what they made known). One that
cannot be handled without a person (a payment with no email to find its donor by) raises
`NeedsAttention` and goes to the staff's Needs attention list. Services add and flush; the
caller (crm.donations.inbox) commits.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select

from crm.extensions import db
from crm.modelbase import utcnow
from crm.payments.lookups import ChargeFacts
from crm.payments.payloads import timestamp


class NotYetKnown(Exception):
    """The event is about a gift or plan we have not recorded yet (events arrive in any order).
    `until`: replay it then even if nothing makes the record known (a payment that may have
    been made outside the giving page is held that long for its checkout or invoice event)."""

    def __init__(self, kind: str, ref: str, until: datetime | None = None):
        super().__init__(f"{kind} {ref}")
        self.key = f"{kind} {ref}"
        self.until = until


class NeedsAttention(Exception):
    """Only staff can resolve this event; the message says why, in their words."""


@dataclass
class Context:
    """What the handler may use besides the payload: Stripe's facts about the payment, read
    through the SDK before the transaction began, and what staff chose for this event."""

    received_at: datetime
    charge: ChargeFacts | None = None
    resolution: dict | None = None

    def age(self, event: dict) -> timedelta:
        return utcnow() - (timestamp(event.get("created")) or self.received_at)


# Exactly the events the webhook endpoint must be subscribed to (README, `stripe-check`).
REQUIRED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "invoice.paid",
    "invoice_payment.paid",
    "invoice.payment_failed",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.succeeded",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "payout.paid",
    "payout.failed",
)

Handler = Callable[[dict, dict, Context], Iterable[str] | None]
HANDLERS: dict[str, Handler] = {}


def handles(*types: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS.update(dict.fromkeys(types, handler))
        return handler

    return register


def used(event_type: str) -> bool:
    return event_type in HANDLERS


def handle(event: dict, context: Context) -> set[str]:
    """Apply one event. Returns the keys of records it made known (for waiting events);
    a type we do not use changes nothing."""
    handler = HANDLERS.get(event.get("type", ""))
    if handler is None:
        return set()
    return set(handler(event["data"]["object"], event, context) or ())


def locked(query: Select):
    """The first row of `query`, locked until the transaction ends (PostgreSQL; SQLite
    serialises writers anyway)."""
    return db.session.scalars(
        query.with_for_update().execution_options(populate_existing=True)
    ).first()


def made_known(*pairs: tuple[str, str | None]) -> set[str]:
    return {f"{kind} {ref}" for kind, ref in pairs if ref}


# The handlers register themselves on import.
from crm.donations.events import charges, checkout, disputes, invoices, payouts  # noqa: E402,F401
