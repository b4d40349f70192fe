"""Registrations and attendance on the contact's timeline."""

from collections.abc import Iterable

from sqlalchemy import select

from crm.contacts.timeline import TimelineEntry, timeline_source
from crm.events.models import Registration, RegistrationStatus
from crm.events.urls import url_path
from crm.extensions import db
from crm.formats import plural

LABELS = {
    RegistrationStatus.CONFIRMED: "Registered for",
    RegistrationStatus.WAITLISTED: "On the waitlist for",
    RegistrationStatus.CANCELLED: "Cancelled registration for",
}


@timeline_source
def registrations(contact) -> Iterable[TimelineEntry]:
    rows = db.session.scalars(select(Registration).where(Registration.contact_id == contact.id))
    for registration in rows:
        event = registration.event
        url = url_path("events.manage_event", event_id=event.id)
        guests = f" with {plural(registration.guests, 'guest')}" if registration.guests else ""
        if not registration.walk_in:
            yield TimelineEntry(
                when=registration.created_at, kind="event",
                title=f"{LABELS[registration.status]} {event.title}{guests}", url=url,
            )  # fmt: skip
        if registration.attended_at:
            brought = registration.guests_attended
            yield TimelineEntry(
                when=registration.attended_at, kind="event",
                title=f"Attended {event.title}" + (f" with {brought} guest(s)" if brought else ""),
                url=url,
            )  # fmt: skip
