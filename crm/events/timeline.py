"""Registrations and attendance on the contact's timeline (a page at a time), and the events
panel at the top of the contact's page."""

from collections.abc import Iterable

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from crm.contacts.panels import Panel, contact_panel
from crm.contacts.timeline import Cursor, TimelineEntry, newest, paged_source
from crm.events.models import Event, Registration, RegistrationStatus
from crm.events.urls import url_path
from crm.extensions import db
from crm.formats import plural
from crm.modelbase import utcnow

LABELS = {
    RegistrationStatus.CONFIRMED: "Registered for",
    RegistrationStatus.WAITLISTED: "On the waitlist for",
    RegistrationStatus.CANCELLED: "Cancelled registration for",
}


def _guests(n: int) -> str:
    return f" with {plural(n, 'guest')}" if n else ""


@paged_source("registrations", "events")
def registrations(contact, cursor: Cursor | None, limit: int) -> Iterable[TimelineEntry]:
    r = Registration
    query = newest(r, "registrations", r.created_at, cursor, limit,
                   r.contact_id == contact.id, ~r.walk_in)  # fmt: skip
    for registration in db.session.scalars(query.options(joinedload(r.event))):
        event = registration.event
        yield TimelineEntry(
            when=registration.created_at, kind="event",
            title=f"{LABELS[registration.status]} {event.title}{_guests(registration.guests)}",
            url=url_path("events.manage_event", event_id=event.id), row_id=registration.id,
        )  # fmt: skip


@paged_source("attendance", "events")
def attendance(contact, cursor: Cursor | None, limit: int) -> Iterable[TimelineEntry]:
    r = Registration
    query = newest(r, "attendance", r.attended_at, cursor, limit,
                   r.contact_id == contact.id, r.attended_at.is_not(None))  # fmt: skip
    for registration in db.session.scalars(query.options(joinedload(r.event))):
        event = registration.event
        yield TimelineEntry(
            when=registration.attended_at, kind="event",
            title=f"Attended {event.title}{_guests(registration.guests_attended)}",
            url=url_path("events.manage_event", event_id=event.id), row_id=registration.id,
        )  # fmt: skip


@contact_panel(30)
def events_panel(contact) -> Panel | None:
    """Events attended and coming up: for every member of staff."""
    if not (has_request_context() and current_user.is_authenticated and current_user.is_staff):
        return None
    r = Registration
    attended, last_attended = db.session.execute(
        select(func.count(r.id), func.max(r.attended_at))
        .where(r.contact_id == contact.id, r.attended_at.is_not(None))
    ).one()  # fmt: skip
    coming = db.session.execute(
        select(Event.id, Event.title, Event.starts_at)
        .join(r, r.event_id == Event.id)
        .where(r.contact_id == contact.id, r.status == RegistrationStatus.CONFIRMED,
               Event.starts_at > utcnow(), Event.cancelled_at.is_(None))
        .order_by(Event.starts_at)
        .limit(3)
    ).all()  # fmt: skip
    if not attended and not coming:
        return None
    return Panel(
        "events",
        "Events",
        "events/_contact_panel.html",
        {"attended": attended, "last_attended": last_attended, "coming": coming},
    )
