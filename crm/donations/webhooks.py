"""Receiving Stripe's webhooks: check the signature on the raw body, store the event once by
its id, commit, queue it for the job queue and answer 200 — Stripe's own advice, so that a
burst of gifts never makes Stripe wait or retry. crm/donations/inbox.py handles it.

Concurrent deliveries of one event meet on its primary key: the first INSERT ... ON CONFLICT
DO NOTHING stores it, the others wait for that transaction and then insert nothing
("duplicate"), so each event is handled once. A type the CRM does not use is acknowledged
without being stored (the endpoint should not be subscribed to it: `flask crm stripe-check`).
If the event cannot be stored the answer is 500 and Stripe retries.
"""

import functools
import logging

from flask import current_app, request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

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
    """Insert the event unless its id is stored; True when this call stored it. One
    statement in autocommit mode: durable when it returns (PostgreSQL waits for the WAL
    flush), without the round trips of BEGIN, COMMIT and the pool's ping."""
    row = {
        "id": event["id"],
        "type": str(event["type"])[:80],
        "payload": event,
        "received_at": utcnow(),
        "status": StripeEventStatus.RECEIVED,
        "attempts": 0,
    }
    for attempt in (1, 2):
        try:
            with _engine().connect() as connection:
                return connection.execute(_insert_event(), row).first() is not None
        except DBAPIError as exc:  # a connection the server closed: once more on a new one
            if attempt == 2 or not exc.connection_invalidated:
                raise
    return False  # not reached


@functools.cache
def _insert_event_for(dialect: str):
    """The INSERT ... ON CONFLICT DO NOTHING RETURNING, built once with bound parameters so
    that SQLAlchemy compiles it once."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(StripeEvent)
        .on_conflict_do_nothing(index_elements=[StripeEvent.id])
        .returning(StripeEvent.id)
    )


def _insert_event():
    return _insert_event_for(db.engine.dialect.name)


def _engine() -> Engine:
    """On PostgreSQL an engine of the webhook's own, in autocommit mode and without the
    ping on each checkout that the application's engine makes (a dead connection is retried
    instead); elsewhere the application's engine."""
    app = current_app._get_current_object()
    engine = app.extensions.get("crm.webhook_engine")
    if engine is None:
        if db.engine.dialect.name != "postgresql":
            return db.engine.execution_options(isolation_level="AUTOCOMMIT")
        engine = create_engine(db.engine.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False)
        app.extensions["crm.webhook_engine"] = engine

        @event.listens_for(db.engine, "engine_disposed")
        def dispose_too(_engine) -> None:  # the application's engine goes: this one too
            app.extensions.pop("crm.webhook_engine", engine).dispose()

    return engine


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
