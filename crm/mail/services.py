"""The one outgoing-mail service.

`queue_email` renders a message and stores it in the outbox inside the caller's transaction;
once that transaction commits, a job is queued to deliver it, so a request never waits on
SMTP and a rolled-back request sends nothing. Delivery claims a message, sends it and records
the outcome; a failure is retried with backoff by the periodic sweep.
"""

import base64
import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from crm.extensions import db
from crm.mail import retention, transport
from crm.mail.models import MailStatus, OutboundEmail
from crm.modelbase import utcnow

log = logging.getLogger("crm.mail")

PENDING_KEY = "crm.outbox_pending"
STALE_CLAIM = timedelta(minutes=10)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar; method=PUBLISH", "application/pdf", ...
    content: str | bytes

    def as_json(self) -> dict:
        content = self.content
        if not self.content_type.startswith("text/"):
            raw = content.encode() if isinstance(content, str) else content
            content = base64.b64encode(raw).decode("ascii")
        elif isinstance(content, bytes):
            content = content.decode()
        return {"filename": self.filename, "content_type": self.content_type, "content": content}


def queue_email(
    *,
    to: str,
    template: str,
    subject: str,
    attachments: list[Attachment] | None = None,
    **context,
) -> OutboundEmail:
    context.setdefault("org_name", current_app.config["ORG_NAME"])
    text = render_template(f"{template}.txt", subject=subject, **context)
    try:
        html = render_template(f"{template}.html", subject=subject, **context)
    except TemplateNotFound:
        html = None
    message = OutboundEmail(
        to_address=to,
        subject=subject,
        template=template,
        text_body=text,
        html_body=html,
        attachments=[a.as_json() for a in attachments] if attachments else None,
    )
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(PENDING_KEY, []).append(message.id)
    return message


def _after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    from crm.jobs import enqueue

    for message_id in pending:
        try:
            enqueue("deliver_email", message_id)
        except Exception:  # the periodic sweep delivers it later
            log.exception("could not queue delivery of message %s", message_id)


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(PENDING_KEY, None)


def register_session_hooks() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def deliver(message_id: int, connection: transport.Connection | None = None) -> MailStatus | None:
    """Claim, send and record one message, in a session of its own (on `connection`, when
    the caller delivers several)."""
    with Session(db.engine) as session:
        now = utcnow()
        claimed = session.execute(
            update(OutboundEmail)
            .where(
                OutboundEmail.id == message_id,
                or_(
                    OutboundEmail.status == MailStatus.QUEUED,
                    (OutboundEmail.status == MailStatus.SENDING)
                    & (OutboundEmail.next_attempt_at < now - STALE_CLAIM),
                ),
            )
            .values(status=MailStatus.SENDING, next_attempt_at=now)
        ).rowcount
        session.commit()
        if not claimed:
            return None  # already sent, failed for good, or another worker has it
        message = session.get(OutboundEmail, message_id)
        message.attempts += 1
        try:
            transport.send(message, current_app.config, connection)
        except Exception as exc:  # SMTP errors, refused connections, timeouts
            _record_failure(message, exc)
        else:
            message.status = MailStatus.SENT
            message.sent_at = utcnow()
            message.last_error = None
            retention.redact_delivered(message)
            log.info("sent message %s (%s)", message.id, message.template)
        session.commit()
        return message.status


def _record_failure(message: OutboundEmail, exc: Exception) -> None:
    message.last_error = f"{type(exc).__name__}: {exc}"[:500]
    if message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        message.status = MailStatus.FAILED
        log.error("giving up on message %s after %s attempts", message.id, message.attempts)
    else:
        message.status = MailStatus.QUEUED
        message.next_attempt_at = utcnow() + _backoff(message.attempts)
        log.warning("message %s failed (%s); will retry", message.id, message.last_error)


def due_message_ids(limit: int = 200) -> list[int]:
    now = utcnow()
    query = (
        select(OutboundEmail.id)
        .where(
            or_(
                (OutboundEmail.status == MailStatus.QUEUED)
                & (OutboundEmail.next_attempt_at <= now),
                (OutboundEmail.status == MailStatus.SENDING)
                & (OutboundEmail.next_attempt_at < now - STALE_CLAIM),
            )
        )
        .order_by(OutboundEmail.next_attempt_at)
        .limit(limit)
    )
    with Session(db.engine) as session:
        return list(session.scalars(query))


def deliver_due() -> int:
    """Deliver every message whose (re)try is due, over one SMTP connection; returns how many
    were sent."""
    ids = due_message_ids()
    if not ids:
        return 0
    with transport.Connection(current_app.config) as connection:
        return sum(deliver(message_id, connection) == MailStatus.SENT for message_id in ids)


def retry(message: OutboundEmail) -> None:
    """Put a failed message back in the queue (staff action from the outbox page)."""
    message.status = MailStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = utcnow()
    db.session.info.setdefault(PENDING_KEY, []).append(message.id)
