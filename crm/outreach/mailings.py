"""Writing, testing, sending, scheduling and cancelling mailings. Services flush, never
commit; the caller commits and then queues the send (`crm.jobs.enqueue("send_mailing", id)`),
so a send never starts for a change that was rolled back."""

import re
from datetime import timedelta

from sqlalchemy import exists, or_, select

from crm.audit.services import record_event
from crm.contacts.models import Contact
from crm.donations.models import Appeal
from crm.extensions import db
from crm.mail.services import queue_email
from crm.modelbase import utcnow
from crm.outreach import audience, merge, messages, preparing, segments
from crm.outreach.merge import MergeError
from crm.outreach.models import Audience, Mailing, MailingRecipient, MailingStatus, Segment
from crm.outreach.models import RecipientStatus as Status
from crm.outreach.render import fill

FIELDS = ("subject", "preview_text", "from_name", "reply_to", "body", "audience", "topic",
          "segment_id", "event_id", "event_audience", "shift_id", "campaign_id",
          "source_code")  # fmt: skip
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")


class MailingError(ValueError):
    """Something that stops a change; `field` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def may_use(mailing: Mailing, user) -> bool:
    """Coordinators stay away from mailings to segments about giving."""
    return mailing.segment is None or segments.may_use(mailing.segment, user)


def save(mailing: Mailing | None, data: dict, user) -> Mailing:
    if mailing is not None and not mailing.editable:
        raise MailingError("A mailing that has started cannot be changed.")
    _check_segment(data, user)
    _check_source_code(data, mailing)
    if mailing is None:
        mailing = Mailing(created_by_id=user.id, status=MailingStatus.DRAFT)
        db.session.add(mailing)
    for name in FIELDS:
        setattr(mailing, name, data.get(name))
    mailing.problem = None
    db.session.flush()
    try:
        preparing.compiled_for(db.session, mailing, user)
    except MergeError as exc:
        raise MailingError(str(exc), "body") from exc
    _appeal_for(mailing)
    return mailing


def _check_segment(data: dict, user) -> None:
    if data.get("audience") != Audience.SEGMENT:
        return
    segment = db.session.get(Segment, data.get("segment_id") or 0)
    if segment is None or not segments.may_use(segment, user):
        raise MailingError("Choose a segment.", "segment_id")


def _check_source_code(data: dict, mailing: Mailing | None) -> None:
    code = data.get("source_code") or ""
    if not CODE.match(code):
        raise MailingError("Use 2 to 60 lower-case letters, digits and hyphens.", "source_code")
    other = select(Mailing.id).where(Mailing.source_code == code,
                                     Mailing.status != MailingStatus.CANCELLED)  # fmt: skip
    if mailing is not None and mailing.id:
        other = other.where(Mailing.id != mailing.id)
    if db.session.scalar(other.limit(1)):
        raise MailingError("Another mailing uses this source code: gifts would be counted "
                           "for both.", "source_code")  # fmt: skip
    appeal = db.session.scalar(select(Appeal).where(Appeal.code == code))
    if appeal is not None and appeal.campaign_id not in (None, data.get("campaign_id")):
        raise MailingError("This source code belongs to another campaign.", "source_code")


def _appeal_for(mailing: Mailing) -> None:
    """The source code is an appeal of the campaign, so the gifts it brings are named."""
    appeal = db.session.scalar(select(Appeal).where(Appeal.code == mailing.source_code))
    if appeal is None:
        db.session.add(Appeal(code=mailing.source_code, name=f"Email: {mailing.subject}"[:160],
                              campaign_id=mailing.campaign_id))  # fmt: skip
    elif appeal.campaign_id is None:
        appeal.campaign_id = mailing.campaign_id
    db.session.flush()


def _check_may_go(mailing: Mailing, user) -> None:
    if not mailing.editable:
        raise MailingError("This mailing has already started.")
    found = preparing.problems(mailing, user)
    if found:
        raise MailingError(" ".join(found))


def send_now(mailing: Mailing, user) -> None:
    _check_may_go(mailing, user)
    mailing.status = MailingStatus.SENDING
    mailing.sent_by_id, mailing.send_at, mailing.problem = user.id, None, None
    db.session.flush()


def schedule(mailing: Mailing, when, user) -> None:
    if when <= utcnow() + timedelta(minutes=1):
        raise MailingError("Choose a moment in the future.", "send_at")
    _check_may_go(mailing, user)
    mailing.status = MailingStatus.SCHEDULED
    mailing.sent_by_id, mailing.send_at, mailing.problem = user.id, when, None
    db.session.flush()


def cancel(mailing: Mailing, user) -> int:
    """Stop it: a scheduled one never goes; a sending one sends nobody more. Returns how many
    recipients will not get it."""
    if mailing.status not in (MailingStatus.DRAFT, MailingStatus.SCHEDULED, MailingStatus.SENDING):
        raise MailingError("This mailing has finished; there is nothing to cancel.")
    mailing.status = MailingStatus.CANCELLED
    db.session.flush()
    stopped = db.session.execute(
        MailingRecipient.__table__.update()
        .where(MailingRecipient.mailing_id == mailing.id, MailingRecipient.status == Status.PENDING)
        .values(status=Status.CANCELLED.value)
    ).rowcount  # fmt: skip
    record_event("cancel", "Mailing", mailing.id, {"not_sent": stopped},
                 summary=f"Cancelled “{mailing.subject}”")  # fmt: skip
    return stopped


def audience_members(mailing: Mailing, user):
    """SELECT the contacts of the audience, for picking whom to preview the mailing as."""
    ids = audience.candidates(mailing, user)
    return select(Contact).where(Contact.id.in_(ids)).order_by(Contact.last_name, Contact.id)


def render_for(mailing: Mailing, user, contact: Contact | None) -> dict:
    """Subject, HTML and text of the mailing as `contact` would get it (links untracked)."""
    compiled = preparing.compiled_for(db.session, mailing, user)
    values = merge.values([contact.id], compiled.fields)[contact.id] if contact else {}
    links = messages.preview_links(compiled, messages.envelope(mailing).base_url)
    parts = {part: fill(getattr(compiled, part), compiled, values, links, escape=part == "html")
             for part in ("subject", "preheader", "html", "text")}  # fmt: skip
    for line in ("subject", "preheader"):  # a merged value cannot break a header in two
        parts[line] = " ".join(parts[line].split())
    return parts


def send_test(mailing: Mailing, user, contact: Contact | None) -> None:
    """A copy to the user's own address, through the outbox."""
    if not mailing.editable:
        raise MailingError("Tests are for mailings that have not started.")
    rendered = render_for(mailing, user, contact)
    queue_email(to=user.email, template="outreach/email/rendered",
                subject=f"[Test] {rendered['subject']}", text=rendered["text"],
                html=rendered["html"])  # fmt: skip


def needs_sender():
    """SELECT mailings that are sending and have something to do now. Whether someone live
    is at it already is for the lease to say (a sender on this machine that died is seen at
    once; elsewhere, once its lease runs out)."""
    R = MailingRecipient
    due = exists().where(
        R.mailing_id == Mailing.id,
        or_(
            (R.status == Status.PENDING) & (R.next_attempt_at <= utcnow()),
            R.status == Status.SENDING,
        ),
    )
    return select(Mailing.id).where(
        Mailing.status == MailingStatus.SENDING, or_(Mailing.frozen.is_(False), due)
    )  # fmt: skip


def start_due() -> list[int]:
    """Scheduled mailings whose moment has come start (or go back to draft with the reason).
    Returns the ids of mailings that need a sender now; the caller commits and queues them."""
    for mailing in db.session.scalars(select(Mailing).where(
            Mailing.status == MailingStatus.SCHEDULED, Mailing.send_at <= utcnow())):  # fmt: skip
        found = preparing.problems(mailing, preparing.author(mailing))
        if found:
            mailing.status = MailingStatus.DRAFT
            mailing.problem = f"It did not go at the scheduled time: {found[0]}"[:500]
        else:
            mailing.status = MailingStatus.SENDING
    db.session.flush()
    return list(db.session.scalars(needs_sender()))
