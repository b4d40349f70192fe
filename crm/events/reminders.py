"""Reminders the day before and a thank-you after, each sent once per registration.

Each message is claimed with a conditional UPDATE (`... WHERE reminder_sent_at IS NULL`), so
two overlapping runs of the command cannot both send it."""

from datetime import datetime, timedelta

from sqlalchemy import select, update

from crm.events import notify
from crm.events.models import Event, Registration, RegistrationStatus
from crm.extensions import db
from crm.modelbase import utcnow

REMINDER_WINDOW = timedelta(hours=24)  # events starting within this are reminded
FOLLOW_UP_WINDOW = timedelta(days=7)  # events that ended within this get a thank-you


def _claim(registration: Registration, column, now: datetime) -> bool:
    claimed = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, column.is_(None))
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


def send_reminders(now: datetime | None = None) -> int:
    now = now or utcnow()
    due = db.session.scalars(
        select(Registration)
        .join(Event)
        .where(
            Event.starts_at > now,
            Event.starts_at <= now + REMINDER_WINDOW,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.reminder_sent_at.is_(None),
            Registration.contact_id.is_not(None),
        )
    ).all()
    sent = 0
    for registration in due:
        if registration.email and _claim(registration, Registration.reminder_sent_at, now):
            notify.reminder(registration)
            sent += 1
    return sent


def send_follow_ups(now: datetime | None = None) -> int:
    now = now or utcnow()
    due = db.session.scalars(
        select(Registration)
        .join(Event)
        .where(
            Event.ends_at <= now,
            Event.ends_at > now - FOLLOW_UP_WINDOW,
            Registration.attended_at.is_not(None),
            Registration.followup_sent_at.is_(None),
            Registration.contact_id.is_not(None),
        )
    ).all()
    sent = 0
    for registration in due:
        if registration.email and _claim(registration, Registration.followup_sent_at, now):
            notify.follow_up(registration)
            sent += 1
    return sent
