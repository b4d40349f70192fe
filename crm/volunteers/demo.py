"""Demonstration volunteering for `make run`: the standard credential types, the demo
volunteer's profile and credentials, a few shifts, and a year of the team's history."""

import random
from datetime import datetime, time, timedelta

from crm.auth import services as accounts
from crm.contacts import services as contacts
from crm.contacts.normalise import fold
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


def load(admin_email: str, volunteer_email: str, coordinator_email: str) -> None:
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
    start = datetime.combine(today, time(10), tzinfo=org_zone())
    shifts = []
    for days, title, role, youth, capacity in (
        (3, "Assembly at Lincoln High", VolunteerRole.PRESENTER, True, 2),
        (5, "Welcome desk: parent night", VolunteerRole.EVENT_HELPER, False, 3),
        (60, "Youth group presentation", VolunteerRole.PRESENTER, True, 1),
    ):
        shift = services.create_shift(
            {"title": title, "role": role, "starts_at": start + timedelta(days=days),
             "ends_at": start + timedelta(days=days, hours=2), "capacity": capacity,
             "youth_facing": youth, "place": "Springfield"}, [], coordinator,
        )  # fmt: skip
        shifts.append(shift)
    services.sign_up(shifts[0].id, volunteer)


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
PAST_SHIFTS = [
    ("Assembly presentation", VolunteerRole.PRESENTER, True),
    ("Welcome desk: parent training", VolunteerRole.EVENT_HELPER, False),
    ("Resource table at the county fair", VolunteerRole.OUTREACH, False),
    ("Year-end appeal mailing", VolunteerRole.OFFICE, False),
    ("Set-up: community awareness night", VolunteerRole.EVENT_HELPER, False),
]


def load_history(admin_email: str, coordinator_email: str, seed: int = 11) -> None:
    """A year of volunteering: a team with their checks and trainings, two shifts a month
    with kiosk check-ins and outs (approved hours), and a few self-logged hours, some still
    waiting for a coordinator. Past sign-ups are stored as they were, without the mails."""
    rng = random.Random(seed)
    services.ensure_default_credential_types()
    types = {t.key: t for t in services.credential_types()}
    admin = accounts.get_user_by_email(admin_email)
    coordinator = accounts.get_user_by_email(coordinator_email)
    today = local_today(utcnow())
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
    for month in range(12, 0, -1):
        for week in (1, 3):
            day = today - timedelta(days=month * 30 - week * 7)
            _past_shift(rng, team, day, coordinator)
    pending = []
    for volunteer in team[:6]:
        for days in rng.sample(range(2, 300), 3):
            entry = hours.log_hours(volunteer, today - timedelta(days=days), rng.choice(
                [60, 90, 120, 180]), VolunteerRole.OFFICE, "Phone calls and mailings")  # fmt: skip
            pending.append(entry)
    hours.review([e.id for e in pending[3:]], True, coordinator)


def _past_shift(rng, team, day, coordinator) -> None:
    title, role, youth = rng.choice(PAST_SHIFTS)
    start = datetime.combine(day, time(rng.choice([9, 13, 18])), tzinfo=org_zone())
    shift = services.create_shift(
        {"title": title, "role": role, "starts_at": start, "ends_at": start + timedelta(hours=3),
         "capacity": 3, "youth_facing": youth, "place": "Springfield"}, [], coordinator,
    )  # fmt: skip
    fits = [v for v in team if role.value in v.roles] or team
    for volunteer in rng.sample(fits, min(len(fits), rng.choice([2, 3]))):
        signup = Signup(shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED,
                        created_at=start - timedelta(days=10))  # fmt: skip
        db.session.add(signup)
        db.session.flush()
        hours.check_in_or_out(signup, now=start - timedelta(minutes=rng.randrange(0, 20)))
        hours.check_in_or_out(signup, now=start + timedelta(minutes=rng.randrange(150, 200)))
