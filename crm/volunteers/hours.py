"""Hours: check-in and check-out at the kiosk, self-logged hours and their review, totals.
The caller commits."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.modelbase import utcnow
from crm.volunteers.eligibility import local_today, org_zone
from crm.volunteers.models import (
    HOURS_TRANSITIONS,
    HoursEntry,
    HoursSource,
    HoursStatus,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
    VolunteerRole,
)
from crm.volunteers.services import VolunteerError

CHECK_IN_EARLY = timedelta(hours=2)  # the kiosk opens this long before a shift
MAX_LOGGED_MINUTES = 16 * 60
LOG_BACK_DAYS = 365


def _minutes(start: datetime, end: datetime) -> int:
    return max(1, round((end - start).total_seconds() / 60))


def _move(entry: HoursEntry, status: HoursStatus) -> None:
    if status not in HOURS_TRANSITIONS[entry.status]:
        raise VolunteerError(f"These hours are already {entry.status.label.lower()}.")
    entry.status = status


def open_entry(signup: Signup) -> HoursEntry | None:
    return db.session.scalars(
        select(HoursEntry).where(
            HoursEntry.volunteer_id == signup.volunteer_id,
            HoursEntry.shift_id == signup.shift_id,
            HoursEntry.status == HoursStatus.OPEN,
        )
    ).first()


def kiosk_entries(shift: Shift) -> dict[int, HoursEntry]:
    """The latest kiosk entry of each volunteer on the shift, by volunteer id."""
    rows = db.session.scalars(
        select(HoursEntry)
        .where(HoursEntry.shift_id == shift.id, HoursEntry.source == HoursSource.KIOSK)
        .order_by(HoursEntry.started_at)
    )
    return {entry.volunteer_id: entry for entry in rows}


def check_in_or_out(signup: Signup, now: datetime | None = None) -> HoursEntry:
    """One tap at the kiosk: checks a confirmed volunteer in, or out if they are in."""
    now = now or utcnow()
    shift = signup.shift
    if signup.status != SignupStatus.CONFIRMED:
        raise VolunteerError(f"{signup.volunteer.name} is not confirmed on this shift.")
    entry = open_entry(signup)
    if entry is not None:
        entry.ended_at = max(now, entry.started_at)
        entry.minutes = _minutes(entry.started_at, entry.ended_at)
        _move(entry, HoursStatus.APPROVED)
        db.session.flush()
        return entry
    if now < shift.starts_at - CHECK_IN_EARLY:
        raise VolunteerError("Check-in opens two hours before the shift starts.")
    if now >= shift.ends_at:
        raise VolunteerError("This shift has ended; log the hours for approval instead.")
    entry = HoursEntry(
        volunteer_id=signup.volunteer_id, shift=shift, role=shift.role,
        source=HoursSource.KIOSK, status=HoursStatus.OPEN, started_at=now,
    )  # fmt: skip
    db.session.add(entry)
    db.session.flush()
    return entry


def close_forgotten(now: datetime | None = None) -> list[HoursEntry]:
    """Close check-ins still open after their shift ended at the shift's end, flag them and
    send them to the coordinators' review."""
    now = now or utcnow()
    forgotten = db.session.scalars(
        select(HoursEntry)
        .join(Shift, HoursEntry.shift_id == Shift.id)
        .where(HoursEntry.status == HoursStatus.OPEN, Shift.ends_at <= now)
    ).all()
    for entry in forgotten:
        entry.ended_at = max(entry.shift.ends_at, entry.started_at)
        entry.minutes = _minutes(entry.started_at, entry.ended_at)
        entry.auto_closed = True
        entry.status = HoursStatus.PENDING  # OPEN -> PENDING only here: a coordinator decides
    db.session.flush()
    return list(forgotten)


def log_hours(
    volunteer: Volunteer,
    day: date,
    minutes: int,
    role: VolunteerRole,
    description: str,
    now: datetime | None = None,
) -> HoursEntry:
    """Hours a volunteer gave outside the kiosk, waiting for a coordinator's approval."""
    now = now or utcnow()
    today = local_today(now)
    if day > today:
        raise VolunteerError("You can log hours only for today or earlier.")
    if day < today - timedelta(days=LOG_BACK_DAYS):
        raise VolunteerError("Hours older than a year cannot be logged here; ask a coordinator.")
    if not 1 <= minutes <= MAX_LOGGED_MINUTES:
        raise VolunteerError("Log between 1 minute and 16 hours for one day.")
    start = datetime.combine(day, time(9), tzinfo=org_zone())
    entry = HoursEntry(
        volunteer=volunteer, role=VolunteerRole(role), source=HoursSource.SELF,
        status=HoursStatus.PENDING, started_at=start, minutes=minutes,
        description=description,
    )  # fmt: skip
    db.session.add(entry)
    db.session.flush()
    return entry


def pending_entries() -> list[HoursEntry]:
    return list(
        db.session.scalars(
            select(HoursEntry)
            .where(HoursEntry.status == HoursStatus.PENDING)
            .options(
                selectinload(HoursEntry.volunteer).selectinload(Volunteer.contact),
                selectinload(HoursEntry.shift),
            )
            .order_by(HoursEntry.started_at, HoursEntry.id)
        )
    )


def review(entry_ids: list[int], approve: bool, by, now: datetime | None = None) -> int:
    """Approve or reject pending hours in bulk; returns how many changed. Ids that are not
    pending (already reviewed, or unknown) are left alone."""
    status = HoursStatus.APPROVED if approve else HoursStatus.REJECTED
    entries = db.session.scalars(
        select(HoursEntry).where(
            HoursEntry.id.in_(entry_ids), HoursEntry.status == HoursStatus.PENDING
        )
    ).all()
    for entry in entries:
        _move(entry, status)
        entry.reviewed_by_id = by.id
        entry.reviewed_at = now or utcnow()
    db.session.flush()
    return len(entries)


@dataclass(frozen=True)
class Total:
    volunteer: Volunteer
    month: str  # "2025-03", in the organisation's time zone (shown with the month filter)
    role: VolunteerRole
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


def totals(volunteer_id: int | None = None) -> list[Total]:
    """Approved minutes per volunteer, month and role: the newest month first, then by name.
    Two statements, however many entries: the entries' few columns, then the volunteers."""
    query = select(
        HoursEntry.volunteer_id, HoursEntry.started_at, HoursEntry.role, HoursEntry.minutes
    ).where(HoursEntry.status == HoursStatus.APPROVED)
    if volunteer_id is not None:
        query = query.where(HoursEntry.volunteer_id == volunteer_id)
    sums: dict[tuple, int] = defaultdict(int)
    zone = org_zone()
    for person, started_at, role, minutes in db.session.execute(query):
        sums[(person, started_at.astimezone(zone).strftime("%Y-%m"), role)] += minutes or 0
    volunteers = {
        v.id: v
        for v in db.session.scalars(
            select(Volunteer)
            .where(Volunteer.id.in_({person for person, _, _ in sums}))
            .options(selectinload(Volunteer.contact))
        )
    }
    rows = [Total(volunteers[v], month, role, m) for (v, month, role), m in sums.items()]
    rows.sort(key=lambda t: (t.volunteer.contact.last_name, t.volunteer.id, t.role))
    rows.sort(key=lambda t: t.month, reverse=True)  # stable: names stay in order in a month
    return rows


def entries_of(volunteer: Volunteer) -> list[HoursEntry]:
    return list(
        db.session.scalars(
            select(HoursEntry)
            .where(HoursEntry.volunteer_id == volunteer.id)
            .order_by(HoursEntry.started_at.desc())
        )
    )
