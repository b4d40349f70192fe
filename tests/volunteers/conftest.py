"""Factories for the volunteers tests: credential types, volunteers with credentials, shifts."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from crm.auth.roles import Role
from crm.modelbase import utcnow
from crm.volunteers import services
from crm.volunteers.models import CredentialStatus, Volunteer, VolunteerRole

ZONE = ZoneInfo("America/New_York")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the organisation's zone, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def today() -> date:
    return utcnow().astimezone(ZONE).date()


@pytest.fixture
def types(db):
    """The standard credential types, by key."""
    services.ensure_default_credential_types()
    db.session.commit()
    return {t.key: t for t in services.credential_types() if t.key}


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def coordinator(make_user):
    return make_user(Role.COORDINATOR, name="Cora Coordinator")


@pytest.fixture
def make_volunteer(db, make_contact, make_user):
    """A volunteer with a contact and a signed-in-able user: make_volunteer("ann")."""

    def factory(name="ann", user=True, **fields):
        contact = make_contact(first_name=name.capitalize(), last_name="Helper",
                               email=f"{name}@example.org")  # fmt: skip
        volunteer = Volunteer(contact=contact, roles=["presenter"], emergency_name="Em",
                              emergency_phone="+12025550100", **fields)  # fmt: skip
        db.session.add(volunteer)
        db.session.commit()
        if user:
            volunteer.user = make_user(
                Role.VOLUNTEER, email=f"{name}@example.org", name=f"{name.capitalize()} Helper",
                contact_id=contact.id,
            )  # fmt: skip
        return volunteer

    return factory


@pytest.fixture
def give(db, types, admin):
    """Record a credential: give(volunteer, "safeguarding_training", expires_on=date(...))."""

    def grant(volunteer, key, expires_on=None, status=CredentialStatus.PASSED, details=None):
        credential_type = types[key]
        completed = None
        if status == CredentialStatus.PASSED:
            days = credential_type.validity_days or 0
            completed = (expires_on - timedelta(days=days)) if expires_on else today()
        credential = services.record_credential(
            volunteer, credential_type, status, completed, details, admin
        )
        db.session.commit()
        return credential

    return grant


@pytest.fixture
def cleared(give):
    """Give a volunteer a background check and safeguarding training valid for a long time."""

    def clear(volunteer):
        give(volunteer, "background_check", details="Checked by Acme Screening, ref 42")
        give(volunteer, "safeguarding_training")
        return volunteer

    return clear


@pytest.fixture
def make_shift(db, coordinator):
    def factory(starts_at=None, hours=2, capacity=2, youth_facing=False, title=None, **fields):
        start = starts_at or utcnow() + timedelta(days=10)
        data = {
            "title": title or "Welcome desk", "role": fields.pop("role", VolunteerRole.PRESENTER),
            "starts_at": start, "ends_at": fields.pop("ends_at", start + timedelta(hours=hours)),
            "capacity": capacity, "youth_facing": youth_facing, **fields,
        }  # fmt: skip
        shift = services.create_shift(data, fields.pop("type_ids", []), coordinator)
        db.session.commit()
        return shift

    return factory


@pytest.fixture
def count(db):
    """Committed rows of a model, read on a connection of its own."""

    def counter(model) -> int:
        with db.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(model.__table__))

    return counter
