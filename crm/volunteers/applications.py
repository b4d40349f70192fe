"""Applying to volunteer and the coordinators' decisions. The caller commits.

An approved applicant becomes a volunteer: a profile on their contact and a user with the
volunteer role linked to it, invited by email to choose a password."""

from dataclasses import dataclass, field

from sqlalchemy import select

from crm.auth import services as accounts
from crm.auth.roles import Role
from crm.contacts import services as contacts
from crm.contacts.models import Contact
from crm.contacts.normalise import email_key
from crm.extensions import db
from crm.modelbase import utcnow
from crm.volunteers import notify
from crm.volunteers.models import (
    APPLICATION_TRANSITIONS,
    Application,
    ApplicationStatus,
    Volunteer,
)
from crm.volunteers.services import VolunteerError

UNDER_18 = (
    "Thank you for wanting to help. Our volunteers must be 18 or over, so we cannot take your "
    "application. Ask a parent, teacher or youth leader about our programmes for young people."
)
OPEN_STATUSES = (ApplicationStatus.PENDING, ApplicationStatus.INFO_REQUESTED)
PROFILE_FIELDS = ("roles", "skills", "languages", "availability", "emergency_name",
                  "emergency_phone")  # fmt: skip


@dataclass
class ApplicationDetails:
    first_name: str
    last_name: str
    email: str
    emergency_name: str
    emergency_phone: str
    adult: bool
    conduct_agreed: bool
    phone: str | None = None
    roles: list[str] = field(default_factory=list)
    skills: str | None = None
    languages: str | None = None
    availability: str | None = None


def find_or_create_contact(details: ApplicationDetails) -> Contact:
    """Match by normalised email (the foundation's duplicate rule), or create the contact."""
    existing = db.session.scalars(
        select(Contact).where(Contact.email_key == email_key(details.email)).order_by(Contact.id)
    ).first()
    if existing is None:
        return contacts.create_contact(
            {"first_name": details.first_name, "last_name": details.last_name,
             "email": details.email, "phone": details.phone}
        )  # fmt: skip
    if details.phone and not existing.phone:
        existing.phone = details.phone
    return existing


def submit(details: ApplicationDetails) -> Application:
    if not details.adult:
        raise VolunteerError(UNDER_18)
    if not details.conduct_agreed:
        raise VolunteerError("Please read and agree to the code of conduct to apply.")
    contact = find_or_create_contact(details)
    if volunteer_of(contact) is not None:
        raise VolunteerError(
            "You are already one of our volunteers. Sign in to see your shifts, or use "
            "“Forgot password” if you have not set one yet."
        )
    if db.session.scalars(
        select(Application).where(
            Application.contact_id == contact.id, Application.status.in_(OPEN_STATUSES)
        )
    ).first():
        raise VolunteerError(
            "We already have an application from this email address; a coordinator will be in "
            "touch."
        )
    application = Application(
        contact=contact, status=ApplicationStatus.PENDING, roles=details.roles,
        skills=details.skills, languages=details.languages, availability=details.availability,
        emergency_name=details.emergency_name, emergency_phone=details.emergency_phone,
        adult_confirmed=True, conduct_agreed_at=utcnow(),
    )  # fmt: skip
    db.session.add(application)
    db.session.flush()
    notify.application_received(application)
    return application


def volunteer_of(contact: Contact) -> Volunteer | None:
    return db.session.scalar(select(Volunteer).where(Volunteer.contact_id == contact.id))


def _decide(application: Application, status: ApplicationStatus, by, message=None) -> None:
    if status not in APPLICATION_TRANSITIONS[application.status]:
        raise VolunteerError(f"This application is already {application.status.label.lower()}.")
    application.status = status
    application.decided_by_id = by.id
    application.decided_at = utcnow()
    application.message = message


def approve(application: Application, by) -> Volunteer:
    """Make the applicant a volunteer and invite them to set a password."""
    _decide(application, ApplicationStatus.APPROVED, by)
    contact = application.contact
    if not contact.email:
        raise VolunteerError("The applicant's contact has no email address to invite.")
    volunteer = volunteer_of(contact) or Volunteer(contact=contact)
    for name in PROFILE_FIELDS:
        setattr(volunteer, name, getattr(application, name))
    volunteer.active = True
    db.session.add(volunteer)
    user = accounts.get_user_by_email(contact.email)
    if user is None:
        user = accounts.create_user(contact.email, contact.full_name, Role.VOLUNTEER)
    user.contact_id = contact.id
    db.session.flush()
    if user.password_hash is None:
        accounts.send_invitation(user, by)
    return volunteer


def decline(application: Application, reason: str, by) -> None:
    _decide(application, ApplicationStatus.DECLINED, by, reason)
    db.session.flush()
    notify.application_declined(application)


def ask_for_information(application: Application, question: str, by) -> None:
    _decide(application, ApplicationStatus.INFO_REQUESTED, by, question)
    db.session.flush()
    notify.information_requested(application)
