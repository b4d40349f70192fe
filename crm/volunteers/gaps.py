"""What needs a coordinator soon: shifts with places unfilled in the coming days, and
credentials that expire in the coming days, as queries a list page can page and sort (and the
dashboard and home page count)."""

from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.modelbase import utcnow
from crm.volunteers import eligibility
from crm.volunteers.models import (
    Credential,
    CredentialStatus,
    CredentialType,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
)

GAP_DAYS = 14


def gaps_query(
    now: datetime | None = None, days: int = GAP_DAYS, youth_only: bool = False
) -> Select:
    """(Shift, unfilled places) for shifts starting in the coming days with places not
    filled, soonest first."""
    now = now or utcnow()
    filled = (
        select(Signup.shift_id, func.count().label("filled"))
        .where(Signup.status == SignupStatus.CONFIRMED)
        .group_by(Signup.shift_id)
        .subquery()
    )
    missing = Shift.capacity - func.coalesce(filled.c.filled, 0)
    query = (
        select(Shift, missing.label("missing"))
        .outerjoin(filled, filled.c.shift_id == Shift.id)
        .where(Shift.starts_at > now, Shift.starts_at <= now + timedelta(days=days), Shift.on(),
               missing > 0)
        .order_by(Shift.starts_at, Shift.id)
    )  # fmt: skip
    return query.where(Shift.youth_facing) if youth_only else query


def staffing_gaps(now: datetime | None = None) -> list[tuple[Shift, int]]:
    return [(shift, int(missing)) for shift, missing in db.session.execute(gaps_query(now))]


def unfilled_places(now: datetime | None = None) -> tuple[int, int]:
    """(shifts with gaps, places unfilled) in the coming 14 days."""
    gaps = gaps_query(now).subquery()
    shifts, places = db.session.execute(
        select(func.count(), func.coalesce(func.sum(gaps.c.missing), 0))
    ).one()
    return int(shifts), int(places)


def expiring_query(
    within_days: int, today: date | None = None, type_id: int | None = None
) -> Select:
    """Passed credentials of active volunteers that expire in the coming days, soonest first,
    with their volunteer's contact and type loaded."""
    today = today or eligibility.local_today(utcnow())
    query = (
        select(Credential)
        .join(Volunteer, Volunteer.id == Credential.volunteer_id)
        .join(CredentialType, CredentialType.id == Credential.type_id)
        .options(selectinload(Credential.volunteer).selectinload(Volunteer.contact),
                 selectinload(Credential.type))
        .where(Volunteer.active, Credential.status == CredentialStatus.PASSED,
               Credential.expires_on > today,
               Credential.expires_on <= today + timedelta(days=within_days))
        .order_by(Credential.expires_on, Credential.id)
    )  # fmt: skip
    return query.where(Credential.type_id == type_id) if type_id else query
