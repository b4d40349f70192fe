"""The worker's side of a mailing: freeze its recipients, then send them batch by batch over
one SMTP connection, at the configured rate, with one transaction of bookkeeping per batch.

A batch is claimed (its rows marked `sending` under a claim id) and committed before any
message goes, each message's outcome is journalled as the server answers (lease.py), and
the batch's outcomes are written together. A permanent refusal (5xx) bounces the recipient
and suppresses the address; a temporary one (4xx, a dropped connection) puts the recipient
back in the queue with a growing pause, until MAIL_MAX_ATTEMPTS."""

import time
import uuid

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.extensions import db
from crm.mail.transport import Connection, Refusal, classify
from crm.modelbase import utcnow
from crm.outreach import lease, merge, messages, records
from crm.outreach.models import Mailing, MailingRecipient, MailingStatus
from crm.outreach.models import RecipientStatus as Status
from crm.outreach.preparing import compiled_for, prepare
from crm.outreach.records import Result

R = MailingRecipient.__table__


class Throttle:
    """At most `per_second` messages a second (0: as fast as the server takes them)."""

    def __init__(self, per_second: float, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = clock()

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.interval


def batch_size(config) -> int:
    """Recipients per batch. However slow the rate, a batch takes at most a quarter of the
    lease, so the lease is renewed well within its time (a long batch renews it on the way)."""
    size, rate = config["MAILING_BATCH_SIZE"], config["MAILING_RATE"]
    if rate > 0:
        size = min(size, int(rate * config["MAILING_LEASE_SECONDS"] / 4))
    return max(1, size)


class Paused(Exception):
    """The server cannot be reached, or refuses our sender: nothing more can go for now."""


def run(mailing_id: int) -> str:
    """Send what is left of a mailing; returns what happened, for the job's log."""
    me = lease.identity()
    session = db.session  # the job's own: each job runs in an app context of its own
    if not lease.acquire(session, mailing_id, me):
        return "not mine"
    try:
        return _run(session, mailing_id, me)
    finally:
        session.rollback()
        lease.release(session, mailing_id, me)


def _run(session: Session, mailing_id: int, me: str) -> str:
    mailing = session.get(Mailing, mailing_id)
    if not mailing.frozen and not prepare(session, mailing):
        return "nobody to send to"
    records.recover(session, mailing_id)
    sender = Sender(session, mailing, me)
    try:
        with Connection(current_app.config) as connection:
            while sender.batch(connection):
                pass
    except Paused as exc:
        records.pause(session, mailing_id, str(exc))
        return "paused"
    return records.finish_if_done(session, mailing_id)


class Sender:
    def __init__(self, session: Session, mailing: Mailing, me: str):
        config = current_app.config
        self.session, self.me = session, me
        self.mailing_id = mailing.id
        self.compiled = compiled_for(session, mailing)
        self.env = messages.envelope(mailing)
        self.size = batch_size(config)
        self.throttle = Throttle(config["MAILING_RATE"])
        self.max_attempts = config["MAIL_MAX_ATTEMPTS"]
        self.renew_every, self.renewed = config["MAILING_LEASE_SECONDS"] / 4, time.monotonic()

    def _claim(self, claim: str) -> list:
        now = utcnow()
        # In the queue index's own order (mailing, status, due time): the batch is read off
        # the index, never by sorting everything that is left.
        due = (
            select(R.c.id)
            .where(R.c.mailing_id == self.mailing_id, R.c.status == Status.PENDING.value,
                   R.c.next_attempt_at <= now)
            .order_by(R.c.next_attempt_at).limit(self.size).with_for_update(skip_locked=True)
        )  # fmt: skip
        rows = self.session.execute(
            update(R).where(R.c.id.in_(due.scalar_subquery()))
            .values(status=Status.SENDING.value, claim=claim)
            .returning(R.c.id, R.c.contact_id, R.c.email, R.c.email_key, R.c.attempts)
        ).all()  # fmt: skip
        lease.renew(self.session, self.mailing_id, self.me)
        self.session.commit()
        self.renewed = time.monotonic()
        return sorted(rows)

    def batch(self, connection: Connection) -> bool:
        """Claim, send and record one batch; False when nothing is due."""
        status = self.session.scalar(select(Mailing.status).where(Mailing.id == self.mailing_id))
        if status != MailingStatus.SENDING:
            records.cancel_pending(self.session, self.mailing_id)
            return False
        claim = f"{self.me}:{uuid.uuid4().hex[:12]}"
        rows = self._claim(claim)
        if not rows:
            return False
        values = merge.values([r.contact_id for r in rows if r.contact_id], self.compiled.fields,
                              self.session)  # fmt: skip
        journal = lease.Journal(claim)
        results = []
        try:
            for row in rows:
                result = self._send(connection, row, values.get(row.contact_id, {}))
                journal.write(row.id, result.outcome, result.detail)
                results.append(result)
                self._keep_lease()
        finally:
            records.record(self.session, self.mailing_id, results, self.max_attempts)
            lease.renew(self.session, self.mailing_id, self.me)
            self.session.commit()
            journal.close(remove=True)
        return True

    def _keep_lease(self) -> None:
        if time.monotonic() - self.renewed > self.renew_every:
            lease.renew(self.session, self.mailing_id, self.me)
            self.session.commit()  # nothing else is pending mid-batch: outcomes wait in memory
            self.renewed = time.monotonic()

    def _send(self, connection: Connection, row, values: dict) -> Result:
        links = messages.recipient_links(self.env, row.id, row.contact_id)
        email = messages.build(self.env, self.compiled, row.email, values, links, row.id)
        self.throttle.wait()
        try:
            connection.ensure_open()
        except Exception as exc:  # refused, unreachable, TLS or login trouble
            raise Paused(f"The mail server could not be reached: {exc}") from exc
        try:
            connection.send(email, messages.bounce_address(row.id), to=row.email,
                            name=f"mailing-{self.mailing_id}-{row.id}.eml")  # fmt: skip
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"[:400]
            refusal = classify(exc)
            if refusal == Refusal.SENDER:
                raise Paused(f"The mail server refused our sender: {detail}") from exc
            outcome = "bounced" if refusal == Refusal.PERMANENT else "retry"
            return Result(row.id, row.email_key, row.attempts, outcome, detail)
        return Result(row.id, row.email_key, row.attempts, "sent")
