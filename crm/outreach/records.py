"""The bookkeeping of a send: a batch's outcomes in a few statements, the recovery of a
batch left by a dead sender, suppressions and per-recipient events, and the end of a mailing.
None of these commit, except where a function says so."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crm.audit.models import AuditEvent
from crm.audit.services import audit_row
from crm.modelbase import utcnow
from crm.outreach import lease
from crm.outreach.models import (
    EventKind,
    Mailing,
    MailingEvent,
    MailingRecipient,
    MailingStatus,
    Suppression,
    SuppressionReason,
)
from crm.outreach.models import RecipientStatus as Status

R = MailingRecipient.__table__


@dataclass(frozen=True)
class Result:
    id: int
    email_key: str
    attempts: int  # before this one
    outcome: str  # "sent", "bounced", "retry"
    detail: str = ""


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def record(session, mailing_id: int, results: list, max_attempts: int) -> None:
    """A batch's outcomes: one UPDATE for the sent, one statement per other outcome."""
    now = utcnow()
    sent = [r.id for r in results if r.outcome == "sent"]
    if sent:
        session.execute(
            update(R).where(R.c.id.in_(sent))
            .values(status=Status.SENT.value, sent_at=now, claim=None,
                    attempts=R.c.attempts + 1, last_error=None)
        )  # fmt: skip
    bounced = [r for r in results if r.outcome == "bounced"]
    if bounced:
        _rows(session, [{"rid": r.id, "error": r.detail} for r in bounced],
              status=Status.BOUNCED.value, claim=None, attempts=R.c.attempts + 1,
              last_error=bindparam("error"))  # fmt: skip
        suppress(session, [(r.email_key, r.detail) for r in bounced], SuppressionReason.BOUNCED)
        add_events(session, mailing_id, [(r.id, r.detail) for r in bounced], EventKind.BOUNCED)
    retry = [r for r in results if r.outcome == "retry"]
    failed = [r for r in retry if r.attempts + 1 >= max_attempts]
    _rows(session, [{"rid": r.id, "error": r.detail} for r in failed],
          status=Status.FAILED.value, claim=None, attempts=R.c.attempts + 1,
          last_error=bindparam("error"))  # fmt: skip
    later = [{"rid": r.id, "error": r.detail, "due": now + backoff(r.attempts + 1)}
             for r in retry if r not in failed]  # fmt: skip
    _rows(session, later, status=Status.PENDING.value, claim=None, attempts=R.c.attempts + 1,
          last_error=bindparam("error"), next_attempt_at=bindparam("due"))  # fmt: skip


def _rows(session, rows: list[dict], **values) -> None:
    """One UPDATE statement run for many rows, each with its own values."""
    if rows:
        session.execute(update(R).where(R.c.id == bindparam("rid")).values(**values), rows)


def _insert_ignoring_duplicates(session, table, rows: list[dict]) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


def suppress(session, keys: list[tuple[str, str]], reason: SuppressionReason) -> None:
    rows = [{"email_key": key, "reason": reason, "detail": (detail or "")[:500] or None,
             "created_at": utcnow()} for key, detail in dict(keys).items() if key]  # fmt: skip
    if rows:
        _insert_ignoring_duplicates(session, Suppression.__table__, rows)


def add_events(session, mailing_id: int, items: list[tuple[int, str]], kind: EventKind,
               link: int | None = None) -> None:  # fmt: skip
    rows = [{"mailing_id": mailing_id, "recipient_id": rid, "kind": kind, "link": link,
             "detail": (detail or "")[:500] or None, "occurred_at": utcnow()}
            for rid, detail in items]  # fmt: skip
    if rows:
        session.execute(insert(MailingEvent.__table__), rows)


def recover(session, mailing_id: int) -> int:
    """Batches left `sending` by an earlier sender of this mailing (dead, since we hold the
    lease): what its journal says the server took is recorded, the rest is queued again.
    Commits; returns how many rows were recovered."""
    claims = session.scalars(
        select(R.c.claim).where(R.c.mailing_id == mailing_id, R.c.status == Status.SENDING.value)
        .distinct()
    ).all()  # fmt: skip
    recovered = 0
    for claim in claims:
        rows = session.execute(
            select(R.c.id, R.c.email_key, R.c.attempts)
            .where(R.c.mailing_id == mailing_id, R.c.claim.is_(claim) if claim is None
                   else R.c.claim == claim, R.c.status == Status.SENDING.value)
        ).all()  # fmt: skip
        journal = lease.read_journal(claim) if claim else {}
        known = [
            Result(r.id, r.email_key, r.attempts, *journal[r.id]) for r in rows if r.id in journal
        ]
        record(session, mailing_id, known, max_attempts=10**6)
        unknown = [r.id for r in rows if r.id not in journal]
        if unknown:
            session.execute(update(R).where(R.c.id.in_(unknown))
                            .values(status=Status.PENDING.value, claim=None))  # fmt: skip
        session.commit()
        if claim:
            lease.forget(claim)
        recovered += len(rows)
    return recovered


def pause(session, mailing_id: int, problem: str) -> None:
    """Nothing more can go now: the claimed rows go back in the queue, untried; commits."""
    session.rollback()
    session.execute(
        update(R).where(R.c.mailing_id == mailing_id, R.c.status == Status.SENDING.value)
        .values(status=Status.PENDING.value, claim=None)
    )  # fmt: skip
    session.execute(update(Mailing).where(Mailing.id == mailing_id).values(problem=problem[:500]))
    session.commit()


def cancel_pending(session, mailing_id: int) -> int:
    count = session.execute(
        update(R).where(R.c.mailing_id == mailing_id, R.c.status == Status.PENDING.value)
        .values(status=Status.CANCELLED.value)
    ).rowcount  # fmt: skip
    session.commit()
    return count


def left_to_do(session, mailing_id: int) -> bool:
    return session.scalar(
        select(exists().where(R.c.mailing_id == mailing_id,
                              R.c.status.in_([Status.PENDING.value, Status.SENDING.value])))
    )  # fmt: skip


def finish_if_done(session, mailing_id: int) -> str:
    """Mark the mailing sent once every recipient has an outcome; commits."""
    if left_to_do(session, mailing_id):
        session.commit()
        return "waiting for retries"
    mailing = session.get(Mailing, mailing_id)
    if mailing.status == MailingStatus.SENDING:
        counts = dict(session.execute(
            select(R.c.status, func.count()).where(R.c.mailing_id == mailing_id)
            .group_by(R.c.status)
        ).all())  # fmt: skip
        mailing.status = MailingStatus.SENT
        mailing.finished_at = utcnow()
        mailing.problem = None
        audit(
            session,
            "finish",
            mailing,
            {"outcomes": counts},
            f"Finished sending “{mailing.subject}”",
        )
    session.commit()
    return "sent"


def audit(session, action: str, mailing: Mailing, changes: dict, summary: str) -> None:
    """An audit entry in the worker's own session (the request's one is not there)."""
    row = audit_row(action, "Mailing", mailing.id, changes, mailing.sent_by_id, summary)
    session.execute(insert(AuditEvent), [row])
