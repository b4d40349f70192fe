"""The emails of volunteering. Each is queued in the caller's transaction."""

from sqlalchemy import select

from crm.auth.models import User
from crm.auth.roles import Role
from crm.events.urls import absolute_url
from crm.extensions import db
from crm.mail.services import queue_email
from crm.volunteers.calendar import shift_attachment


def _portal_url() -> str:
    return absolute_url("volunteers.portal")


def signed_up(signup) -> None:
    volunteer, shift = signup.volunteer, signup.shift
    if not volunteer.email:
        return
    if signup.status == "confirmed":
        queue_email(
            to=volunteer.email, template="volunteers/email/signed_up",
            subject=f"You are on the shift: {shift.title}", signup=signup, shift=shift,
            portal_url=_portal_url(), attachments=[shift_attachment(shift)],
        )  # fmt: skip
    else:
        queue_email(
            to=volunteer.email, template="volunteers/email/waitlisted",
            subject=f"You are on the waitlist: {shift.title}", signup=signup, shift=shift,
            portal_url=_portal_url(),
        )  # fmt: skip


def promoted(signup) -> None:
    volunteer, shift = signup.volunteer, signup.shift
    if volunteer.email:
        queue_email(
            to=volunteer.email, template="volunteers/email/promoted",
            subject=f"A place is yours: {shift.title}", signup=signup, shift=shift,
            portal_url=_portal_url(), attachments=[shift_attachment(shift)],
        )  # fmt: skip


def removed(signup) -> None:
    """The volunteer and the shift's coordinator hear that a sign-up was taken off."""
    volunteer, shift = signup.volunteer, signup.shift
    if volunteer.email:
        queue_email(
            to=volunteer.email, template="volunteers/email/removed",
            subject=f"You are no longer on the shift: {shift.title}", signup=signup,
            shift=shift, portal_url=_portal_url(),
        )  # fmt: skip
    for coordinator in coordinators_of(shift):
        queue_email(
            to=coordinator.email, template="volunteers/email/removed_coordinator",
            subject=f"{volunteer.name} was taken off {shift.title}", signup=signup, shift=shift,
            coordinator=coordinator,
            shift_url=absolute_url("volunteers.shift", shift_id=shift.id),
        )  # fmt: skip


def coordinators_of(shift) -> list[User]:
    """The shift's coordinator, or every active coordinator when it has none."""
    if shift.coordinator is not None and shift.coordinator.active:
        return [shift.coordinator]
    return list(
        db.session.scalars(
            select(User).where(User.active, User.role == Role.COORDINATOR).order_by(User.id)
        )
    )


def reminder(signup) -> None:
    shift = signup.shift
    queue_email(
        to=signup.volunteer.email, template="volunteers/email/reminder",
        subject=f"Reminder: {shift.title}", signup=signup, shift=shift,
        portal_url=_portal_url(), attachments=[shift_attachment(shift)],
    )  # fmt: skip


def expiring(credential, days: int) -> None:
    queue_email(
        to=credential.volunteer.email, template="volunteers/email/expiring",
        subject=f"Your {credential.type.name.lower()} expires soon", credential=credential,
        days=days, portal_url=_portal_url(),
    )  # fmt: skip


def lapsed(credential) -> None:
    queue_email(
        to=credential.volunteer.email, template="volunteers/email/lapsed",
        subject=f"Your {credential.type.name.lower()} has expired", credential=credential,
        portal_url=_portal_url(),
    )  # fmt: skip


def application_received(application) -> None:
    queue_email(
        to=application.contact.email, template="volunteers/email/application_received",
        subject="We received your application to volunteer", application=application,
    )  # fmt: skip


def application_declined(application) -> None:
    queue_email(
        to=application.contact.email, template="volunteers/email/application_declined",
        subject="About your application to volunteer", application=application,
    )  # fmt: skip


def information_requested(application) -> None:
    queue_email(
        to=application.contact.email, template="volunteers/email/information_requested",
        subject="A question about your application to volunteer", application=application,
    )  # fmt: skip
