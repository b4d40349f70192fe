"""Shifts, hours and credentials on the contact's timeline (a page at a time), and the
volunteering panel at the top of the contact's page. Credentials show to coordinators and
admins (sensitive types to admins only), never with their details: those are read on the
credential's own page, where each view is audited."""

from collections.abc import Iterable

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from crm.auth.roles import Role
from crm.contacts.panels import Panel, contact_panel
from crm.contacts.timeline import Cursor, TimelineEntry, newest, paged_source
from crm.events.urls import url_path
from crm.extensions import db
from crm.formats import format_date, format_duration
from crm.modelbase import utcnow
from crm.volunteers.models import (
    Credential,
    CredentialType,
    HoursEntry,
    HoursStatus,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
)

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


def _of(contact):
    return select(Volunteer.id).where(Volunteer.contact_id == contact.id).scalar_subquery()


@paged_source("signups", "volunteering")
def signups(contact, cursor: Cursor | None, limit: int) -> Iterable[TimelineEntry]:
    query = newest(Signup, "signups", Signup.created_at, cursor, limit,
                   Signup.volunteer_id == _of(contact))  # fmt: skip
    for signup in db.session.scalars(query.options(joinedload(Signup.shift))):
        shift = signup.shift
        yield TimelineEntry(
            when=signup.created_at, kind="shift",
            title=f"{SIGNUP_LABELS[signup.status.value]} “{shift.title}”",
            body=signup.reason or "", url=url_path("volunteers.shift", shift_id=shift.id),
            row_id=signup.id,
        )  # fmt: skip


@paged_source("hours", "volunteering")
def hours(contact, cursor: Cursor | None, limit: int) -> Iterable[TimelineEntry]:
    query = newest(HoursEntry, "hours", HoursEntry.started_at, cursor, limit,
                   HoursEntry.volunteer_id == _of(contact))  # fmt: skip
    for entry in db.session.scalars(query.options(joinedload(HoursEntry.shift))):
        if entry.minutes is None:
            title = "Checked in" + (f" for “{entry.shift.title}”" if entry.shift else "")
        else:
            what = f" on “{entry.shift.title}”" if entry.shift else f" ({entry.role.label})"
            title = f"{format_duration(entry.minutes, 'long')}{what}: {entry.status.label.lower()}"
        yield TimelineEntry(
            when=entry.started_at, kind="shift", title=title, body=entry.description or "",
            row_id=entry.id,
        )  # fmt: skip


@paged_source("credentials", "volunteering")
def credentials(contact, cursor: Cursor | None, limit: int) -> Iterable[TimelineEntry]:
    role = _viewer_role()
    if role not in (Role.ADMIN, Role.COORDINATOR):
        return
    show_sensitive = role == Role.ADMIN
    query = (
        newest(Credential, "credentials", Credential.created_at, cursor, limit,
               Credential.volunteer_id == _of(contact))
        .join(CredentialType, CredentialType.id == Credential.type_id)
        .options(joinedload(Credential.type))
    )  # fmt: skip
    if not show_sensitive:
        query = query.where(~CredentialType.sensitive)
    for credential in db.session.scalars(query):
        expiry = f", expires {format_date(credential.expires_on)}" if credential.expires_on else ""
        url = (
            url_path("volunteers.credential", credential_id=credential.id)
            if show_sensitive
            else None
        )
        yield TimelineEntry(
            when=credential.created_at, kind="credential",
            title=f"{credential.type.name}: {credential.status.label.lower()}{expiry}", url=url,
            row_id=credential.id,
        )  # fmt: skip


@contact_panel(20)
def volunteering_panel(contact) -> Panel | None:
    """Hours given and shifts coming up, for every member of staff."""
    if _viewer_role() not in (Role.ADMIN, Role.COORDINATOR, Role.FUNDRAISER):
        return None
    volunteer = db.session.scalar(select(Volunteer).where(Volunteer.contact_id == contact.id))
    if volunteer is None:
        return None
    approved = HoursEntry.status == HoursStatus.APPROVED
    minutes, waiting, last = db.session.execute(
        select(
            func.coalesce(func.sum(case((approved, HoursEntry.minutes), else_=0)), 0),
            func.count(HoursEntry.id).filter(HoursEntry.status == HoursStatus.PENDING),
            func.max(HoursEntry.started_at).filter(approved),
        ).where(HoursEntry.volunteer_id == volunteer.id)
    ).one()
    coming = db.session.scalar(
        select(func.count(Signup.id))
        .join(Shift, Shift.id == Signup.shift_id)
        .where(Signup.volunteer_id == volunteer.id, Signup.status == SignupStatus.CONFIRMED,
               Shift.starts_at > utcnow())
    )  # fmt: skip
    return Panel("volunteering", "Volunteering", "volunteers/_contact_panel.html", {
        "volunteer": volunteer, "hours": round(int(minutes) / 60, 1), "waiting": waiting,
        "last": last, "coming": coming,
    })  # fmt: skip
