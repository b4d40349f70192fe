"""Receiving Stripe's webhooks: check the signature on the raw body, store the event once by
its id, commit, queue it for the job queue and answer 200 — Stripe's own advice, so that a
burst of gifts never makes Stripe wait or retry. crm/donations/inbox.py handles it.

Concurrent deliveries of one event meet on its primary key: the first INSERT ... ON CONFLICT
DO NOTHING stores it, the others wait for that transaction and then insert nothing
("duplicate"), so each event is handled once. A type the CRM does not use is acknowledged
without being stored (the endpoint should not be subscribed to it: `flask crm stripe-check`).
If the event cannot be stored the answer is 500 and Stripe retries.
"""

import logging

from flask import request
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crm.auth.access import public
from crm.donations import bp, events
from crm.donations.ledger_models import WebhookRefusal
from crm.donations.models import StripeEvent, StripeEventStatus
from crm.extensions import csrf, db
from crm.jobs import enqueue
from crm.modelbase import utcnow
from crm.payments.client import SignatureError, verify_event

log = logging.getLogger("crm.donations.webhooks")


@bp.post("/webhooks/stripe")
@public
@csrf.exempt
def stripe_webhook():
    signature = request.headers.get("Stripe-Signature")
    try:
        event = verify_event(request.get_data(), signature)
    except SignatureError as exc:
        log.warning("refused a Stripe webhook: %s", exc)
        if signature:  # signed, but not with our secret: what `stripe-check` looks for
            record_refusal(str(exc))
        return {"error": "invalid signature"}, 400
    if not events.used(event["type"]):
        return {"event": event["id"], "outcome": "ignored"}, 200
    try:
        stored = store(event)
    except Exception:
        log.exception("could not store Stripe event %s", event["id"])
        return {"error": "not stored; Stripe will retry", "event": event["id"]}, 500
    if stored:
        try:
            enqueue("process_stripe_event", event["id"])
        except Exception:  # stored: the sweep runs it within minutes
            log.exception("could not queue Stripe event %s", event["id"])
    return {"event": event["id"], "outcome": "queued" if stored else "duplicate"}, 200


def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def store(event: dict) -> bool:
    """Insert the event unless its id is stored, and commit; True when this call stored it.
    Core on a connection of its own: nothing else is written in this request."""
    statement = (
        _insert()(StripeEvent)
        .values(
            id=event["id"],
            type=str(event["type"])[:80],
            payload=event,
            received_at=utcnow(),
            status=StripeEventStatus.RECEIVED,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[StripeEvent.id])
        .returning(StripeEvent.id)
    )
    with db.engine.begin() as connection:
        return connection.execute(statement).first() is not None


def record_refusal(reason: str) -> None:
    """Count refused deliveries by day: `stripe-check` reads them to tell whether the signing
    secret matches Stripe's. Never fails the answer."""
    now = utcnow()
    statement = _insert()(WebhookRefusal).values(
        day=now.date().isoformat(), count=1, last_at=now, last_reason=reason[:500]
    )
    statement = statement.on_conflict_do_update(
        index_elements=[WebhookRefusal.day],
        set_={"count": WebhookRefusal.count + 1, "last_at": now, "last_reason": reason[:500]},
    )
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
    except Exception:
        log.exception("could not count a refused Stripe webhook")
