"""What a contact received, clicked and unsubscribed from, on their timeline."""

from collections.abc import Iterable

from flask import url_for
from sqlalchemy import select

from crm.contacts.timeline import TimelineEntry, timeline_source
from crm.extensions import db
from crm.outreach.models import EventKind, Mailing, MailingEvent, MailingRecipient
from crm.outreach.models import RecipientStatus as Status

RECEIVED = {Status.SENT: "Received", Status.BOUNCED: "Bounced", Status.FAILED: "Could not be sent"}
DID = {EventKind.CLICKED: "Clicked a link in", EventKind.UNSUBSCRIBED: "Unsubscribed from",
       EventKind.COMPLAINED: "Reported as spam", EventKind.OPENED: "Opened"}  # fmt: skip


@timeline_source
def mailings(contact) -> Iterable[TimelineEntry]:
    rows = db.session.execute(
        select(MailingRecipient.status, MailingRecipient.sent_at, Mailing)
        .join(Mailing, Mailing.id == MailingRecipient.mailing_id)
        .where(MailingRecipient.contact_id == contact.id,
               MailingRecipient.status.in_(list(RECEIVED)))
        .order_by(MailingRecipient.id.desc()).limit(50)
    )  # fmt: skip
    for status, sent_at, mailing in rows:
        yield TimelineEntry(when=sent_at or mailing.started_at, kind="email",
                            title=f"{RECEIVED[status]}: {mailing.subject}",
                            url=url_for("outreach.mailing", mailing_id=mailing.id))  # fmt: skip
    events = db.session.execute(
        select(MailingEvent.kind, MailingEvent.occurred_at, Mailing)
        .join(MailingRecipient, MailingRecipient.id == MailingEvent.recipient_id)
        .join(Mailing, Mailing.id == MailingEvent.mailing_id)
        .where(MailingRecipient.contact_id == contact.id, MailingEvent.kind.in_(list(DID)))
        .order_by(MailingEvent.id.desc()).limit(50)
    )  # fmt: skip
    seen = set()
    for kind, when, mailing in events:
        if (kind, mailing.id) in seen:  # several clicks on one message: the latest
            continue
        seen.add((kind, mailing.id))
        topic = f" ({mailing.topic.phrase})" if kind == EventKind.UNSUBSCRIBED and \
            mailing.topic else ""  # fmt: skip
        yield TimelineEntry(when=when, kind="email", title=f"{DID[kind]}: {mailing.subject}{topic}",
                            url=url_for("outreach.mailing", mailing_id=mailing.id))  # fmt: skip
