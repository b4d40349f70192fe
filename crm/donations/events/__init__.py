"""What each Stripe event does to gifts, recurring plans, refunds and disputes.

Every handler is safe to run twice and in any order: it locks the row it changes, creates what
is missing and only moves statuses forward. A handler that needs a gift or plan that another
event has not created yet raises `NotYetKnown`; the webhook stores the event as waiting,
answers 500 so that Stripe retries it, and replays it as soon as an event makes that record
known (handlers return the keys of what they made known). Services add and flush; the webhook
commits.
"""

from collections.abc import Callable, Iterable

from sqlalchemy import Select

from crm.extensions import db


class NotYetKnown(Exception):
    """The event is about a gift or plan we have not recorded yet (events arrive in any order)."""

    def __init__(self, kind: str, ref: str):
        super().__init__(f"{kind} {ref}")
        self.key = f"{kind} {ref}"


Handler = Callable[[dict, dict], Iterable[str] | None]
HANDLERS: dict[str, Handler] = {}


def handles(*types: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS.update(dict.fromkeys(types, handler))
        return handler

    return register


def handle(event: dict) -> set[str]:
    """Apply one event. Returns the keys of records it made known (for waiting events);
    a type we do not use changes nothing."""
    handler = HANDLERS.get(event.get("type", ""))
    if handler is None:
        return set()
    return set(handler(event["data"]["object"], event) or ())


def locked(query: Select):
    """The first row of `query`, locked until the transaction ends (PostgreSQL; SQLite
    serialises writers anyway)."""
    return db.session.scalars(
        query.with_for_update().execution_options(populate_existing=True)
    ).first()


def made_known(*pairs: tuple[str, str | None]) -> set[str]:
    return {f"{kind} {ref}" for kind, ref in pairs if ref}


# The handlers register themselves on import.
from crm.donations.events import charges, checkout, invoices  # noqa: E402,F401
