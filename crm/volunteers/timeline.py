"""Shifts, hours and credentials on the contact's timeline. Credentials show to coordinators
and admins (sensitive types to admins only), never with their details: those are read on
the credential's own page, where each view is audited."""

from collections.abc import Iterable

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select

from crm.auth.roles import Role
from crm.contacts.timeline import TimelineEntry, timeline_source
from crm.events.urls import url_path
from crm.extensions import db
from crm.formats import format_date, format_duration
from crm.volunteers.models import Credential, HoursEntry, Signup, Volunteer

SIGNUP_LABELS = {
    "confirmed": "Signed up for the shift",
    "waitlisted": "On the waitlist for the shift",
    "cancelled": "Cancelled the shift",
    "removed": "Taken off the shift",
}


def _viewer_role() -> Role | None:
    if has_request_context() and current_user.is_authenticated:
        return current_user.role
    return None


def _volunteer(contact) -> Volunteer | None:
    return db.session.scalar(select(Volunteer).where(Volunteer.contact_id == contact.id))


@timeline_source
def volunteering(contact) -> Iterable[TimelineEntry]:
    volunteer = _volunteer(contact)
    if volunteer is None:
        return
    yield from _signups(volunteer)
    yield from _hours(volunteer)
    role = _viewer_role()
    if role in (Role.ADMIN, Role.COORDINATOR):
        yield from _credentials(volunteer, show_sensitive=role == Role.ADMIN)


def _signups(volunteer) -> Iterable[TimelineEntry]:
    rows = db.session.scalars(select(Signup).where(Signup.volunteer_id == volunteer.id))
    for signup in rows:
        shift = signup.shift
        yield TimelineEntry(
            when=signup.created_at, kind="shift",
            title=f"{SIGNUP_LABELS[signup.status.value]} “{shift.title}”",
            body=signup.reason or "", url=url_path("volunteers.shift", shift_id=shift.id),
        )  # fmt: skip


def _hours(volunteer) -> Iterable[TimelineEntry]:
    rows = db.session.scalars(select(HoursEntry).where(HoursEntry.volunteer_id == volunteer.id))
    for entry in rows:
        if entry.minutes is None:
            title = "Checked in" + (f" for “{entry.shift.title}”" if entry.shift else "")
        else:
            what = f" on “{entry.shift.title}”" if entry.shift else f" ({entry.role.label})"
            title = f"{format_duration(entry.minutes, 'long')}{what}: {entry.status.label.lower()}"
        yield TimelineEntry(
            when=entry.started_at, kind="shift", title=title, body=entry.description or ""
        )


def _credentials(volunteer, show_sensitive: bool) -> Iterable[TimelineEntry]:
    rows = db.session.scalars(select(Credential).where(Credential.volunteer_id == volunteer.id))
    for credential in rows:
        if credential.type.sensitive and not show_sensitive:
            continue
        expiry = f", expires {format_date(credential.expires_on)}" if credential.expires_on else ""
        url = (
            url_path("volunteers.credential", credential_id=credential.id)
            if show_sensitive
            else None
        )
        yield TimelineEntry(
            when=credential.created_at, kind="credential",
            title=f"{credential.type.name}: {credential.status.label.lower()}{expiry}", url=url,
        )  # fmt: skip
