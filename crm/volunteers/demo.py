"""Demonstration volunteering for `make run`: the standard credential types, the demo
volunteer's profile and credentials, a few shifts, and a year of the team's history."""

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.auth import services as accounts
from crm.contacts import services as contacts
from crm.contacts.models import Contact
from crm.contacts.normalise import fold
from crm.events.models import Event
from crm.extensions import db
from crm.modelbase import utcnow
from crm.volunteers import hours, services
from crm.volunteers.eligibility import local_today, org_zone
from crm.volunteers.models import (
    CredentialStatus,
    Signup,
    SignupStatus,
    Volunteer,
    VolunteerRole,
)


def load(admin_email: str, volunteer_email: str, coordinator_email: str, upcoming: dict) -> None:
    """`upcoming`: the demo's coming events by key ("training", "parent_night", "school"):
    their shifts are on them, starting a little before the doors open."""
    types = {t.key: t for t in services.ensure_default_credential_types()}
    admin = accounts.get_user_by_email(admin_email)
    user = accounts.get_user_by_email(volunteer_email)
    coordinator = accounts.get_user_by_email(coordinator_email)
    contact = contacts.create_contact(
        {"first_name": "Val", "last_name": "Volunteer", "email": volunteer_email}
    )
    user.contact_id = contact.id
    volunteer = Volunteer(
        contact=contact, roles=[VolunteerRole.PRESENTER.value], languages="English, Spanish",
        availability="Weekday evenings", emergency_name="Sam Volunteer",
        emergency_phone="+12025550123",
    )  # fmt: skip
    today = local_today(utcnow())
    services.record_credential(volunteer, types["background_check"], CredentialStatus.PASSED,
                               today - timedelta(days=400), "Demo Screening Inc., ref 1001",
                               admin)  # fmt: skip
    services.record_credential(volunteer, types["safeguarding_training"], CredentialStatus.PASSED,
                               today - timedelta(days=330), None, admin)  # fmt: skip
    shifts = [
        _event_shift(upcoming["school"], "Presenter", VolunteerRole.PRESENTER, 2, coordinator),
        _event_shift(upcoming["parent_night"], "Welcome desk", VolunteerRole.EVENT_HELPER, 3,
                     coordinator),
        _event_shift(upcoming["training"], "Set-up", VolunteerRole.EVENT_HELPER, 2, coordinator),
    ]  # fmt: skip
    youth_group = datetime.combine(today + timedelta(days=60), time(18, 30), tzinfo=org_zone())
    services.create_shift(
        {"title": "Youth group presentation", "role": VolunteerRole.PRESENTER,
         "starts_at": youth_group, "ends_at": youth_group + timedelta(hours=1, minutes=30),
         "capacity": 1, "youth_facing": True, "place": "Grace Community Church, Springfield"},
        [], coordinator,
    )  # fmt: skip
    services.sign_up(shifts[0].id, volunteer)


def _event_shift(event, task: str, role: VolunteerRole, capacity: int, coordinator):
    """A shift on an event: from half an hour before it starts until a quarter of an hour
    after it ends, at its venue; youth-facing when students are in the audience."""
    return services.create_shift(
        {"title": f"{task}: {event.title}", "role": role, "event_id": event.id,
         "starts_at": event.starts_at - timedelta(minutes=30),
         "ends_at": event.ends_at + timedelta(minutes=15), "capacity": capacity,
         "youth_facing": "students" in event.audiences, "place": event.venue}, [], coordinator,
    )  # fmt: skip


# (first name, last name, roles, days since the background check, days since safeguarding
# training): checks are valid two years and trainings one, so a few expire within 30 or 60 days.
TEAM = [
    ("Grace", "Okafor", [VolunteerRole.PRESENTER], 200, 40),
    ("Mateo", "García", [VolunteerRole.PRESENTER, VolunteerRole.OUTREACH], 710, 100),
    ("Hannah", "Kowalski", [VolunteerRole.EVENT_HELPER], 90, 340),
    ("Omar", "Haddad", [VolunteerRole.EVENT_HELPER, VolunteerRole.OFFICE], 400, 200),
    ("Siobhán", "Reed", [VolunteerRole.PRESENTER], 690, 320),
    ("Li", "Tanaka", [VolunteerRole.OFFICE], 30, 30),
    ("Renée", "Dupré", [VolunteerRole.OUTREACH], 500, 355),
    ("Noah", "Walker", [VolunteerRole.EVENT_HELPER], 300, 150),
    ("Priya", "Patel", [VolunteerRole.PRESENTER, VolunteerRole.EVENT_HELPER], 120, 60),
    ("Daniel", "Lee", [VolunteerRole.OUTREACH, VolunteerRole.OFFICE], 250, 250),
    ("Yuki", "Rossi", [VolunteerRole.EVENT_HELPER], 660, 10),
    ("Elijah", "Scott", [VolunteerRole.PRESENTER], 45, 300),
]
# What volunteers do at each kind of event (the task, the role); events of other kinds need
# no volunteers.
EVENT_TASKS = {
    "School presentation": ("Presenter", VolunteerRole.PRESENTER),
    "Parent training": ("Welcome desk", VolunteerRole.EVENT_HELPER),
    "Community awareness night": ("Set-up", VolunteerRole.EVENT_HELPER),
    "Educator training": ("Welcome desk", VolunteerRole.EVENT_HELPER),
}
# Shifts of no event, by the months they happen in.
SEASONAL_SHIFTS = [
    ({11, 12}, "Year-end appeal mailing", VolunteerRole.OFFICE, time(10)),
    ({7, 8, 9}, "Resource table at the county fair", VolunteerRole.OUTREACH, time(11)),
    (set(range(1, 13)), "Thank-you calls to donors", VolunteerRole.OFFICE, time(17, 30)),
]


def load_history(admin_email: str, coordinator_email: str, volunteer_email: str,
                 seed: int = 11) -> None:  # fmt: skip
    """A year of volunteering: a team with their checks and trainings; each month a shift on
    one of the month's events and one of the season's office or outreach work, with kiosk
    check-ins and outs (approved hours), the demo volunteer among them; and self-logged hours,
    the latest still waiting for a coordinator. Past sign-ups are stored as they were, without
    the mails."""
    rng = random.Random(seed)
    services.ensure_default_credential_types()
    types = {t.key: t for t in services.credential_types()}
    admin = accounts.get_user_by_email(admin_email)
    coordinator = accounts.get_user_by_email(coordinator_email)
    now = utcnow()
    today = local_today(now)
    team = []
    for first, last, roles, checked, trained in TEAM:
        contact = contacts.create_contact(
            {"first_name": first, "last_name": last, "country": "US",
             "email": f"{fold(first)}.{fold(last)}@example.net".replace(" ", "")}, ["volunteer"]
        )  # fmt: skip
        volunteer = Volunteer(
            contact=contact, roles=[r.value for r in roles], languages="English",
            availability="Evenings and weekends",
        )  # fmt: skip
        for key, days in (("background_check", checked), ("safeguarding_training", trained)):
            services.record_credential(volunteer, types[key], CredentialStatus.PASSED,
                                       today - timedelta(days=days), None, admin)  # fmt: skip
        team.append(volunteer)
    val = _volunteer_of(volunteer_email)
    past_events = db.session.scalars(
        select(Event).options(selectinload(Event.type))
        .where(Event.starts_at < now - timedelta(days=1),
               Event.starts_at >= now - timedelta(days=365), Event.cancelled_at.is_(None))
        .order_by(Event.starts_at)
    ).all()  # fmt: skip
    for month in range(12, -1, -1):  # this month's too, those already held
        year, index = divmod(today.year * 12 + today.month - 1 - month, 12)
        first = date(year, index + 1, 1)
        held = [e for e in past_events if e.type.name in EVENT_TASKS
                and local_today(e.starts_at).replace(day=1) == first]  # fmt: skip
        if held:
            event = rng.choice(held)
            task, role = EVENT_TASKS[event.type.name]
            _staff(rng, team, _event_shift(event, task, role, 3, coordinator), val)
        day = _weekday(first + timedelta(days=rng.randrange(7, 21)))
        if day < today:
            _staff(rng, team, _seasonal_shift(day, coordinator), val)
    pending = []
    for volunteer in [*team[:6], val]:
        for days in rng.sample(range(15, 300), 2):
            entry = hours.log_hours(volunteer, today - timedelta(days=days), rng.choice(
                [60, 90, 120, 180]), VolunteerRole.OFFICE, "Phone calls and mailings")  # fmt: skip
            pending.append(entry)
    hours.review([e.id for e in pending], True, coordinator)
    for volunteer in [*team[:3], val]:  # logged this fortnight: not reviewed yet
        hours.log_hours(volunteer, today - timedelta(days=rng.randrange(1, 14)), 90,
                        VolunteerRole.OUTREACH, "Leaflets at the library")  # fmt: skip


def _checked(volunteer: Volunteer) -> date:
    """The day the volunteer's checks were all in place (the latest of their credentials)."""
    return max(c.completed_on for c in volunteer.credentials)


def _volunteer_of(email: str) -> Volunteer:
    return db.session.scalar(
        select(Volunteer).join(Volunteer.contact).where(Contact.email == email)
    )


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _seasonal_shift(day: date, coordinator):
    """The season's shift of no event, on `day`."""
    title, role, at = next(
        (t, r, at) for months, t, r, at in SEASONAL_SHIFTS if day.month in months
    )
    start = datetime.combine(day, at, tzinfo=org_zone())
    return services.create_shift(
        {"title": title, "role": role, "starts_at": start, "ends_at": start + timedelta(hours=3),
         "capacity": 3, "youth_facing": False, "place": "Springfield office"}, [], coordinator,
    )  # fmt: skip


def _staff(rng, team, shift, val) -> None:
    """Two or three of the team who do its role (the demo volunteer on presenter shifts),
    checked in and out at the kiosk around its times."""
    fits = [v for v in team if shift.role.value in v.roles] or team
    people = rng.sample(fits, min(len(fits), rng.choice([2, 3])))
    if shift.role.value in val.roles and local_today(shift.starts_at) > _checked(val):
        people = [*people[:2], val]
    start = shift.starts_at
    minutes = (shift.ends_at - start) // timedelta(minutes=1)
    for volunteer in people:
        signup = Signup(shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED,
                        created_at=start - timedelta(days=10))  # fmt: skip
        db.session.add(signup)
        db.session.flush()
        hours.check_in_or_out(signup, now=start - timedelta(minutes=rng.randrange(0, 20)))
        out = start + timedelta(minutes=minutes + rng.randrange(-10, 20))
        hours.check_in_or_out(signup, now=out)
