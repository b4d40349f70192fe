"""Everything checked before a mailing may go, and its freezing when it starts: the
recipients written once (the segment evaluated at that moment), who was left out and why, the
tracked links, and an audit entry of who sent what to how many."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from crm.extensions import db
from crm.modelbase import utcnow
from crm.outreach import audience, records, segments
from crm.outreach.merge import MergeError
from crm.outreach.models import Audience, Mailing, MailingStatus, OutreachSettings
from crm.outreach.render import Compiled, compile_mailing


def settings(session=None) -> OutreachSettings:
    session = session or db.session
    row = session.scalar(select(OutreachSettings).order_by(OutreachSettings.id).limit(1))
    if row is None:
        row = OutreachSettings(from_name=current_app.config["ORG_NAME"])
        session.add(row)
        session.flush()
    return row


def author(mailing: Mailing):
    """Whose rights the mailing is read with: who sent it, or who wrote it."""
    return mailing.sent_by or mailing.created_by


def compiled_for(session, mailing: Mailing, user=None) -> Compiled:
    money = segments.sees_money(user or author(mailing))
    return compile_mailing(mailing, settings(session), money)


def problems(mailing: Mailing, user) -> list[str]:
    """What stops the mailing from going now, in words; empty when it may go."""
    found = []
    if not (settings().postal_address or "").strip():
        found.append("The organisation's postal address is missing: an admin adds it in Email "
                     "settings. The law (CAN-SPAM) requires it in every message.")  # fmt: skip
    try:
        compiled_for(db.session, mailing, user)
    except MergeError as exc:
        found.append(str(exc))
    if mailing.audience == Audience.SEGMENT and mailing.topic is None:
        found.append("Choose the topic the mailing is about: only people who want it get it.")
    try:
        count, _ = audience.summary(mailing, user)
    except audience.AudienceError as exc:
        found.append(str(exc))
    else:
        if not count:
            found.append("Nobody would receive it: the audience is empty, or everyone in it "
                         "is left out (see below).")  # fmt: skip
    return found


def prepare(session, mailing: Mailing) -> bool:
    """Freeze the recipients (commits). False, with the mailing cancelled, if nobody is left."""
    user = author(mailing)
    compiled = compiled_for(session, mailing)
    count, left_out = audience.summary(mailing, user)
    written = audience.freeze(session, mailing, user) if count else 0
    now = utcnow()
    mailing.frozen = True
    mailing.recipients_count = written
    mailing.left_out = left_out
    mailing.links = compiled.links
    mailing.started_at = mailing.started_at or now
    days = current_app.config["MAILING_ATTRIBUTION_DAYS"]
    mailing.attribution_ends_at = mailing.started_at + timedelta(days=days)
    summary = f"Sent “{mailing.subject}” to {written} recipient{'s' if written != 1 else ''}"
    records.audit(session, "send", mailing, {"recipients": written, "left_out": left_out,
                                             "subject": mailing.subject}, summary)  # fmt: skip
    if not written:
        mailing.status = MailingStatus.CANCELLED
        mailing.problem = "Nobody was left to send to when it started."
    session.commit()
    return bool(written)
