"""Demonstration volunteering for `make run`: the standard credential types, the demo
volunteer's profile and credentials, and a few shifts."""

from datetime import datetime, time, timedelta

from crm.auth import services as accounts
from crm.contacts import services as contacts
from crm.modelbase import utcnow
from crm.volunteers import services
from crm.volunteers.eligibility import local_today, org_zone
from crm.volunteers.models import CredentialStatus, Volunteer, VolunteerRole


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
