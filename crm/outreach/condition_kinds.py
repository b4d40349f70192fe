"""Conditions on who a contact is, where, what email they want, their volunteering and events.
Giving has its own module (giving_kinds.py): those are hidden from roles without money."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from crm.contacts.models import Affiliation, Contact, Organisation, OrganisationType, Tag
from crm.contacts.models import contact_tags as tagged
from crm.contacts.normalise import postcode_key
from crm.donations.models import Donation, DonationStatus
from crm.events.models import (
    Event,
    EventType,
    Registration,
    RegistrationStatus,
    TrainingRequest,
    TrainingRequestStatus,
)
from crm.extensions import db
from crm.formats import format_date
from crm.outreach import consent
from crm.outreach.conditions import Params, among, choice_lists, kind
from crm.outreach.models import Topic
from crm.volunteers.eligibility import local_today
from crm.volunteers.models import (
    Credential,
    CredentialStatus,
    CredentialType,
    HoursEntry,
    HoursStatus,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
    VolunteerRole,
)

ROLES = {"donor": "Donor", "volunteer": "Volunteer", "attendee": "Attendee",
         "partner": "Partner (linked to an organisation)"}  # fmt: skip
# A donor as the dashboard counts them: a gift that neither failed nor was refunded in full.
GIVING = (DonationStatus.PENDING, DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED)


def _rows(query) -> list[tuple[str, str]]:
    return [(str(value), label) for value, label in db.session.execute(query)]


choice_lists.update({
    "tag": lambda: _rows(select(Tag.id, Tag.name).order_by(Tag.name)),
    "organisation": lambda: _rows(
        select(Organisation.id, Organisation.name).order_by(Organisation.name_key)),
    "organisation_type": lambda: [(t.value, t.label) for t in OrganisationType],
    "role": lambda: list(ROLES.items()),
    "topic": lambda: [(t.value, t.label) for t in Topic],
    "credential_type": lambda: _rows(
        select(CredentialType.id, CredentialType.name).order_by(CredentialType.name)),
    "volunteer_role": lambda: [(r.value, r.label) for r in VolunteerRole],
    "event": lambda: [
        (str(i), f"{title} ({format_date(starts)})") for i, title, starts in db.session.execute(
            select(Event.id, Event.title, Event.starts_at).order_by(Event.starts_at.desc()))
    ],
    "event_type": lambda: _rows(select(EventType.id, EventType.name).order_by(EventType.name)),
})  # fmt: skip


# --- who and where ---------------------------------------------------------------------------


@kind("tag", "Has the tag", "Contact", value="tag")
def _tag(p: Params):
    return among(select(tagged.c.contact_id).where(tagged.c.tag_id == int(p.value)))


@kind("organisation", "Linked to the organisation", "Contact", value="organisation")
def _organisation(p: Params):
    return among(select(Affiliation.contact_id).where(Affiliation.organisation_id == int(p.value)))


@kind("organisation_type", "Linked to an organisation of type", "Contact",
      value="organisation_type")  # fmt: skip
def _organisation_type(p: Params):
    return among(
        select(Affiliation.contact_id)
        .join(Organisation, Organisation.id == Affiliation.organisation_id)
        .where(Organisation.type == OrganisationType(p.value))
    )


def _same_text(column, value: str):
    return func.lower(func.trim(column)) == value.strip().lower()


@kind("city", "Lives in the city", "Place", value="text")
def _city(p: Params):
    return _same_text(Contact.city, p.value)


@kind("region", "Lives in the state or region", "Place", value="text")
def _region(p: Params):
    return _same_text(Contact.region, p.value)


@kind("postcode", "Postcode starts with", "Place", value="text")
def _postcode(p: Params):
    key = postcode_key(p.value) or p.value.upper()
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Contact.postcode_key.like(escaped + "%", escape="\\")


@kind("role", "Is a", "Contact", value="role", money_values=frozenset({"donor"}))
def _role(p: Params):
    if p.value == "donor":
        return among(select(Donation.contact_id).where(Donation.status.in_(GIVING)))
    if p.value == "volunteer":
        return among(select(Volunteer.contact_id).where(Volunteer.active.is_(True)))
    if p.value == "attendee":
        return among(select(Registration.contact_id).where(Registration.attended_at.is_not(None)))
    return among(select(Affiliation.contact_id))


@kind("topic", "Is subscribed to the email topic", "Email", value="topic")
def _topic(p: Params):
    return consent.subscribed(Topic(p.value))


# --- volunteering ------------------------------------------------------------------------------


def _today():
    return local_today(datetime.now().astimezone())


@kind("volunteer_active", "Is an active volunteer", "Volunteering")
def _volunteer_active(p: Params):
    return _role(Params(value="volunteer"))


def _credentials(p: Params, *where):
    return among(
        select(Volunteer.contact_id)
        .join(Credential, Credential.volunteer_id == Volunteer.id)
        .where(
            Credential.type_id == int(p.value), Credential.status == CredentialStatus.PASSED, *where
        )  # fmt: skip
    )


@kind("credential_valid", "Holds a valid credential", "Volunteering", value="credential_type")
def _credential_valid(p: Params):
    today = _today()
    return _credentials(p, (Credential.expires_on.is_(None)) | (Credential.expires_on > today))


@kind("credential_expiring", "Has a credential expiring within", "Volunteering",
      value="credential_type", number="days")  # fmt: skip
def _credential_expiring(p: Params):
    today = _today()
    return _credentials(p, Credential.expires_on > today,
                        Credential.expires_on <= today + timedelta(days=p.number))  # fmt: skip


@kind("volunteer_hours", "Gave at least this many approved hours", "Volunteering",
      number="hours", period=True)  # fmt: skip
def _volunteer_hours(p: Params):
    return among(
        select(Volunteer.contact_id)
        .join(HoursEntry, HoursEntry.volunteer_id == Volunteer.id)
        .where(HoursEntry.status == HoursStatus.APPROVED, *p.period(HoursEntry.started_at))
        .group_by(Volunteer.contact_id)
        .having(func.coalesce(func.sum(HoursEntry.minutes), 0) >= p.number * 60)
    )


@kind("shift_role", "Served on shifts of the role", "Volunteering", value="volunteer_role",
      period=True)  # fmt: skip
def _shift_role(p: Params):
    return among(
        select(Volunteer.contact_id)
        .join(Signup, Signup.volunteer_id == Volunteer.id)
        .join(Shift, Shift.id == Signup.shift_id)
        .where(
            Signup.status == SignupStatus.CONFIRMED,
            Shift.role == VolunteerRole(p.value),
            *p.period(Shift.starts_at),
        )  # fmt: skip
    )


# --- events ------------------------------------------------------------------------------------


def _registrations(*where):
    return among(
        select(Registration.contact_id)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.status != RegistrationStatus.CANCELLED, *where)
    )


@kind("event_registered", "Registered for the event", "Events", value="event")
def _event_registered(p: Params):
    return _registrations(Registration.event_id == int(p.value))


@kind("event_attended", "Attended the event", "Events", value="event")
def _event_attended(p: Params):
    return _registrations(
        Registration.event_id == int(p.value), Registration.attended_at.is_not(None)
    )


@kind("event_type_registered", "Registered for an event of the kind", "Events",
      value="event_type", period=True)  # fmt: skip
def _event_type_registered(p: Params):
    return _registrations(Event.type_id == int(p.value), *p.period(Event.starts_at))


@kind("event_type_attended", "Attended an event of the kind", "Events", value="event_type",
      period=True)  # fmt: skip
def _event_type_attended(p: Params):
    return _registrations(Event.type_id == int(p.value), Registration.attended_at.is_not(None),
                          *p.period(Event.starts_at))  # fmt: skip


@kind("hosted_training", "Hosted a training (their request was scheduled)", "Events", period=True)
def _hosted_training(p: Params):
    return among(
        select(TrainingRequest.contact_id)
        .join(Event, Event.id == TrainingRequest.event_id)
        .where(
            TrainingRequest.status == TrainingRequestStatus.ACCEPTED,
            Event.cancelled_at.is_(None),
            *p.period(Event.starts_at),
        )  # fmt: skip
    )
