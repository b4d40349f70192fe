"""Receiving Stripe's webhooks: check the signature on the raw body, store each event once by
its id and handle it in the same transaction.

Concurrent deliveries of one event queue on its row: the first inserts it (INSERT ... ON
CONFLICT DO NOTHING RETURNING), the others' INSERT waits for that transaction to end, and
their SELECT ... FOR UPDATE then sees it processed (or, after a rollback, takes it over).
A failure rolls everything back and is recorded in a transaction of its own (status failed,
error, attempts), and the 500 makes Stripe retry. An event about a gift or plan not recorded
yet is stored as waiting ("waiting for payment_intent pi_...") and replayed as soon as an
event makes that record known; `flask crm stripe-reprocess` re-runs any event.
"""

import enum
import logging

from flask import request
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crm.auth.access import public
from crm.donations import bp, events
from crm.donations.models import StripeEvent, StripeEventStatus
from crm.extensions import csrf, db
from crm.modelbase import utcnow
from crm.payments.client import SignatureError, verify_event

log = logging.getLogger("crm.donations.webhooks")

WAITING = "waiting for "
REPLAY_LIMIT = 50  # at most this many waiting events replayed after one event


class Outcome(enum.StrEnum):
    PROCESSED = "processed"  # handled now (an unknown type is "handled" by doing nothing)
    DUPLICATE = "duplicate"  # handled before; nothing done
    FAILED = "failed"  # handling raised or must wait; rolled back and recorded


@bp.post("/webhooks/stripe")
@public
@csrf.exempt
def stripe_webhook():
    try:
        event = verify_event(request.get_data(), request.headers.get("Stripe-Signature"))
    except SignatureError as exc:
        log.warning("refused a Stripe webhook: %s", exc)
        return {"error": "invalid signature"}, 400
    outcome = receive(event)
    if outcome is Outcome.FAILED:
        return {"error": "not processed; Stripe will retry", "event": event["id"]}, 500
    return {"event": event["id"], "outcome": outcome.value}, 200


def receive(event: dict) -> Outcome:
    """Store a verified event once and handle it; commits. Replays events that were waiting
    for what this one made known."""
    outcome, known = _run(event["id"], event)
    if known:
        replay_waiting(known)
    return outcome


def reprocess(event_id: str, *, force: bool = False) -> Outcome:
    """Handle a stored event again (a failed one, or with `force` a processed one); commits."""
    outcome, known = _run(event_id, None, force=force)
    if known:
        replay_waiting(known)
    return outcome


def replay_waiting(known: set[str]) -> int:
    """Re-run events that were waiting for these records, and for what they in turn make
    known. Returns how many were processed."""
    done, seen = 0, set()
    pending = set(known)
    while pending and done < REPLAY_LIMIT:
        ids = db.session.scalars(
            select(StripeEvent.id)
            .where(StripeEvent.status == StripeEventStatus.FAILED)
            .where(StripeEvent.error.in_(sorted(WAITING + key for key in pending)))
            .order_by(StripeEvent.received_at)
            .limit(REPLAY_LIMIT)
        ).all()
        db.session.rollback()  # end the read before each event's own transaction
        pending = set()
        for event_id in ids:
            if event_id in seen:
                continue
            seen.add(event_id)
            outcome, more = _run(event_id, None)
            if outcome is Outcome.PROCESSED:
                done += 1
                pending |= more
    return done


def _run(event_id: str, event: dict | None, *, force: bool = False) -> tuple[Outcome, set[str]]:
    """One transaction: store (when `event` is given), lock, handle, mark processed, commit."""
    try:
        if event is not None and _store(event):
            payload = event  # our own uncommitted row: duplicates wait on it
        else:
            row = db.session.execute(
                select(StripeEvent.status, StripeEvent.payload)
                .where(StripeEvent.id == event_id)
                .with_for_update()
            ).one()
            if row.status == StripeEventStatus.PROCESSED and not force:
                db.session.commit()
                return Outcome.DUPLICATE, set()
            payload = row.payload
        known = events.handle(payload)
        db.session.execute(
            update(StripeEvent)
            .where(StripeEvent.id == event_id)
            .values(
                status=StripeEventStatus.PROCESSED,
                processed_at=utcnow(),
                attempts=StripeEvent.attempts + 1,
                error=None,
            )
        )
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        _record_failure(event_id, event, exc)
        return Outcome.FAILED, set()
    log.info("processed Stripe event %s (%s)", event_id, payload.get("type"))
    return Outcome.PROCESSED, known


def _insert():
    return pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _store(event: dict) -> bool:
    """Insert the event unless its id is stored; True when this call inserted it."""
    inserted = db.session.execute(
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
    ).first()
    return inserted is not None


def _record_failure(event_id: str, event: dict | None, exc: Exception) -> None:
    """Keep the failure on the event's row, in a transaction of its own. A concurrent
    delivery that succeeded meanwhile is not overwritten."""
    if isinstance(exc, events.NotYetKnown):
        error = WAITING + exc.key
        log.info("Stripe event %s is waiting for %s", event_id, exc.key)
    else:
        error = f"{type(exc).__name__}: {exc}"
        log.exception("Stripe event %s failed", event_id)
    error = error[:1000]
    try:
        if event is None:
            row = db.session.get(StripeEvent, event_id)
            if row is None:
                return
            event = row.payload
        statement = _insert()(StripeEvent).values(
            id=event_id,
            type=str(event.get("type", "?"))[:80],
            payload=event,
            received_at=utcnow(),
            status=StripeEventStatus.FAILED,
            attempts=1,
            error=error,
        )
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=[StripeEvent.id],
                set_={
                    "status": StripeEventStatus.FAILED,
                    "attempts": StripeEvent.attempts + 1,
                    "error": error,
                },
                where=StripeEvent.status != StripeEventStatus.PROCESSED,
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the failure of Stripe event %s", event_id)
