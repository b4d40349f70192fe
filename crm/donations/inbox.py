"""Handling stored Stripe events, in the job queue: the webhook only verifies, stores and
acknowledges (crm/donations/webhooks.py).

One event, one transaction: lock its row, handle it, mark it processed, commit. Stripe's facts
about the payment (the charge and its fee) are read through the SDK before the transaction
begins, so no lock is held while Stripe answers. A failure rolls everything back and is kept on
the row with its reason (status failed) and retried with growing pauses; an event about a gift
or plan not recorded yet waits (status waiting, `waiting_for`) and is replayed as soon as an
event makes that record known; one that only staff can resolve goes to the Needs attention
list. `flask crm stripe-reprocess` re-runs any event.
"""

import enum
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from crm.donations import events
from crm.donations.events import Context, NeedsAttention, NotYetKnown
from crm.donations.models import StripeEvent, StripeEventStatus
from crm.extensions import db
from crm.modelbase import utcnow
from crm.payments import lookups, payloads

log = logging.getLogger("crm.donations.inbox")

REPLAY_LIMIT = 50  # at most this many waiting events replayed after one event
SWEEP_LIMIT = 200
LOST_AFTER = timedelta(minutes=2)  # a stored event whose job never ran is run by the sweep
GIVE_UP_AFTER = timedelta(days=3)  # like Stripe: then it is for staff to resolve
DONE = (StripeEventStatus.PROCESSED, StripeEventStatus.DISMISSED)


class Outcome(enum.StrEnum):
    PROCESSED = "processed"  # handled now
    DUPLICATE = "duplicate"  # handled before; nothing done
    WAITING = "waiting"  # held until the gift or plan it is about is recorded
    ATTENTION = "attention"  # on the Needs attention list
    FAILED = "failed"  # handling raised; rolled back, recorded and retried later
    MISSING = "missing"  # no such event stored


def process(event_id: str, *, force: bool = False) -> Outcome:
    """Handle a stored event (with `force`, one handled before too); commits. Then replays
    the events that were waiting for what it made known."""
    outcome, known = _run(event_id, force=force)
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
            .where(StripeEvent.status == StripeEventStatus.WAITING)
            .where(StripeEvent.waiting_for.in_(sorted(pending)))
            .order_by(StripeEvent.received_at)
            .limit(REPLAY_LIMIT)
        ).all()
        db.session.rollback()  # end the read before each event's own transaction
        pending = set()
        for event_id in ids:
            if event_id in seen:
                continue
            seen.add(event_id)
            outcome, more = _run(event_id)
            if outcome is Outcome.PROCESSED:
                done += 1
                pending |= more
    return done


def sweep() -> dict:
    """The periodic pass: run events whose retry is due or whose job was lost, then the
    receipts, fees and payouts that are due. Returns counts."""
    from crm.donations import fees, payouts, receipts

    now = utcnow()
    retry = (StripeEvent.status.in_([StripeEventStatus.FAILED, StripeEventStatus.WAITING])) & (
        StripeEvent.next_attempt_at <= now
    )
    lost = (StripeEvent.status == StripeEventStatus.RECEIVED) & (
        StripeEvent.received_at < now - LOST_AFTER
    )
    ids = db.session.scalars(
        select(StripeEvent.id)
        .where(or_(retry, lost))
        .order_by(StripeEvent.received_at)
        .limit(SWEEP_LIMIT)
    ).all()
    db.session.rollback()
    outcomes = [process(event_id) for event_id in ids]
    return {
        "events": len(outcomes),
        "processed": outcomes.count(Outcome.PROCESSED),
        "receipts": receipts.issue_due_and_commit(),
        "fees": fees.fill_missing(),
        "payouts": payouts.retry_incomplete(),
    }


def _run(event_id: str, *, force: bool = False) -> tuple[Outcome, set[str]]:
    row = db.session.execute(
        select(StripeEvent.status, StripeEvent.payload, StripeEvent.received_at).where(
            StripeEvent.id == event_id
        )
    ).one_or_none()
    db.session.rollback()
    if row is None:
        return Outcome.MISSING, set()
    if row.status in DONE and not force:
        return Outcome.DUPLICATE, set()
    context = Context(received_at=row.received_at, charge=_charge_facts(row.payload))
    try:
        locked = db.session.execute(
            select(StripeEvent.status, StripeEvent.resolution)
            .where(StripeEvent.id == event_id)
            .with_for_update()
        ).one()
        if locked.status in DONE and not force:
            db.session.commit()  # a concurrent run handled it meanwhile
            return Outcome.DUPLICATE, set()
        context.resolution = locked.resolution
        known = events.handle(row.payload, context)
        _mark(event_id, StripeEventStatus.PROCESSED, processed_at=utcnow(), error=None)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        return _record_failure(event_id, row, exc), set()
    log.info("processed Stripe event %s (%s)", event_id, row.payload.get("type"))
    return Outcome.PROCESSED, known


def _charge_facts(payload: dict):
    """Stripe's facts about the charge a gift-bringing event is about: from the event when it
    carries the charge whole, else read through the SDK; None when there is none yet or
    Stripe cannot be reached (the fee is filled in later)."""
    carried = payloads.expanded_charge(payload)
    if carried is not None:
        return lookups.facts_of_charge(carried)
    reference = payloads.charge_reference(payload)
    if reference is None or not current_app.config.get("STRIPE_SECRET_KEY"):
        return None
    try:
        return lookups.charge_facts(**reference)
    except lookups.LookupFailed as exc:
        log.warning("could not read the charge of event %s from Stripe: %s", payload["id"], exc)
        return None


def _mark(event_id: str, status: StripeEventStatus, **values) -> None:
    db.session.execute(
        update(StripeEvent)
        .where(StripeEvent.id == event_id)
        .values(
            status=status,
            attempts=StripeEvent.attempts + 1,
            waiting_for=values.pop("waiting_for", None),
            next_attempt_at=values.pop("next_attempt_at", None),
            **values,
        )
        .execution_options(synchronize_session=False)
    )


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes between tries, at most 6 hours (Stripe's own retries are similar)."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _record_failure(event_id: str, row, exc: Exception) -> Outcome:
    """Keep the failure on the event's row, in a transaction of its own. A concurrent run
    that succeeded meanwhile is not overwritten."""
    now = utcnow()
    attempts = db.session.scalar(select(StripeEvent.attempts).where(StripeEvent.id == event_id))
    retry_at = now + backoff((attempts or 0) + 1)
    if isinstance(exc, NotYetKnown):
        outcome, status = Outcome.WAITING, StripeEventStatus.WAITING
        error = f"waiting for {exc.key}"
        values = {"waiting_for": exc.key[:300], "next_attempt_at": exc.until or retry_at}
        log.info("Stripe event %s is waiting for %s", event_id, exc.key)
    elif isinstance(exc, NeedsAttention):
        outcome, status, error, values = (
            Outcome.ATTENTION,
            StripeEventStatus.ATTENTION,
            str(exc),
            {},
        )
        log.warning("Stripe event %s needs attention: %s", event_id, exc)
    else:
        error = f"{type(exc).__name__}: {exc}"
        outcome, status, values = Outcome.FAILED, StripeEventStatus.FAILED, {}
        if row.received_at < now - GIVE_UP_AFTER:
            status, error = StripeEventStatus.ATTENTION, f"Gave up retrying after 3 days: {error}"
        else:
            values["next_attempt_at"] = retry_at
        log.exception("Stripe event %s failed", event_id)
    try:
        db.session.execute(
            update(StripeEvent)
            .where(StripeEvent.id == event_id, StripeEvent.status.not_in(DONE))
            .values(
                status=status,
                attempts=StripeEvent.attempts + 1,
                error=error[:1000],
                waiting_for=values.get("waiting_for"),
                next_attempt_at=values.get("next_attempt_at"),
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the failure of Stripe event %s", event_id)
    return outcome
