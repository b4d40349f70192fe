"""Credential types and credentials, shifts, sign-ups and the waitlist. Services add and flush;
the caller commits.

Places are counted under a lock on the shift's row, as registrations are for events: on
PostgreSQL `SELECT ... FOR UPDATE`; on SQLite a no-op write takes the database's write lock.
A sign-up also locks the volunteer's row, so that two overlapping shifts taken at the same
moment by one person cannot both succeed."""

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from crm.audit.services import record_event
from crm.auth.roles import Role
from crm.extensions import db
from crm.formats import plural
from crm.modelbase import utcnow
from crm.volunteers import eligibility, notify
from crm.volunteers.models import (
    ACTIVE_SIGNUP,
    CREDENTIAL_TRANSITIONS,
    SIGNUP_TRANSITIONS,
    Credential,
    CredentialStatus,
    CredentialType,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
)

SHIFT_FIELDS = (
    "title", "role", "event_id", "starts_at", "ends_at", "place", "capacity", "youth_facing",
    "notes",
)  # fmt: skip

# (key, name, validity in days or None for no expiry, details for admins only)
DEFAULT_CREDENTIAL_TYPES = (
    (eligibility.BACKGROUND_CHECK, "Background check", 730, True),
    (eligibility.SAFEGUARDING, "Safeguarding training", 365, False),
    ("code_of_conduct", "Code of conduct", None, False),
    ("certified_presenter", "Presenter certification (30-minute training)", 730, False),
)


class VolunteerError(ValueError):
    """A volunteer operation that cannot be done; the message is for the user."""


# --- credential types ---------------------------------------------------------------------


def ensure_default_credential_types() -> list[CredentialType]:
    """Add the standard types that are missing (matched by key); returns those added."""
    added = []
    for key, name, days, sensitive in DEFAULT_CREDENTIAL_TYPES:
        exists = db.session.scalar(
            select(CredentialType).where(
                (CredentialType.key == key) | (func.lower(CredentialType.name) == name.lower())
            )
        )
        if exists is None:
            added.append(
                CredentialType(key=key, name=name, validity_days=days, sensitive=sensitive)
            )
    db.session.add_all(added)
    db.session.flush()
    return added


def create_credential_type(name: str, validity_days: int | None, sensitive: bool) -> CredentialType:
    taken = select(CredentialType).where(func.lower(CredentialType.name) == name.lower())
    if db.session.scalar(taken):
        raise VolunteerError(f"There is already a credential type called “{name}”.")
    if validity_days is not None and validity_days <= 0:
        raise VolunteerError("The validity must be at least one day, or empty for no expiry.")
    credential_type = CredentialType(name=name, validity_days=validity_days, sensitive=sensitive)
    db.session.add(credential_type)
    db.session.flush()
    return credential_type


def credential_types(active_only: bool = False) -> list[CredentialType]:
    query = select(CredentialType).order_by(CredentialType.name)
    if active_only:
        query = query.where(CredentialType.active)
    return list(db.session.scalars(query))


# --- credentials --------------------------------------------------------------------------


def expiry_for(credential_type: CredentialType, completed_on: date | None) -> date | None:
    if completed_on is None or credential_type.validity_days is None:
        return None
    return completed_on + timedelta(days=credential_type.validity_days)


def record_credential(
    volunteer: Volunteer,
    credential_type: CredentialType,
    status: CredentialStatus,
    completed_on: date | None,
    details: str | None,
    recorded_by,
    now: datetime | None = None,
) -> Credential:
    """Record a check or training. Background checks (sensitive types) only by admins."""
    now = now or utcnow()
    if credential_type.sensitive and recorded_by.role != Role.ADMIN:
        raise VolunteerError(f"Only an admin can record a {credential_type.name.lower()}.")
    status = CredentialStatus(status)
    if status == CredentialStatus.EXPIRED:
        raise VolunteerError("Record the date it was passed; expiry follows from it.")
    _check_completion(status, completed_on, now)
    credential = Credential(
        volunteer=volunteer, type=credential_type, status=status, completed_on=completed_on,
        expires_on=expiry_for(credential_type, completed_on), details=details,
        recorded_by_id=recorded_by.id,
    )  # fmt: skip
    db.session.add(credential)
    db.session.flush()
    remove_ineligible(volunteer, now=now)
    return credential


def _check_completion(status: CredentialStatus, completed_on: date | None, now: datetime) -> None:
    if status == CredentialStatus.PASSED and completed_on is None:
        raise VolunteerError("Give the date it was passed.")
    if completed_on is not None and completed_on > eligibility.local_today(now):
        raise VolunteerError("The completion date cannot be in the future.")


def change_credential_status(
    credential: Credential,
    status: CredentialStatus,
    completed_on: date | None,
    actor,
    now: datetime | None = None,
) -> Credential:
    now = now or utcnow()
    status = CredentialStatus(status)
    if credential.type.sensitive and actor.role != Role.ADMIN:
        raise VolunteerError(f"Only an admin can change a {credential.type.name.lower()}.")
    if status not in CREDENTIAL_TRANSITIONS[credential.status]:
        raise VolunteerError(f"A {credential.status.value} credential cannot become {status}.")
    if status == CredentialStatus.PASSED:
        _check_completion(status, completed_on, now)
        credential.completed_on = completed_on
        credential.expires_on = expiry_for(credential.type, completed_on)
    credential.status = status
    db.session.flush()
    remove_ineligible(credential.volunteer, now=now)
    return credential


def expire(credential: Credential, now: datetime) -> None:
    if CredentialStatus.EXPIRED not in CREDENTIAL_TRANSITIONS[credential.status]:
        raise VolunteerError(f"A {credential.status.value} credential cannot expire.")
    credential.status = CredentialStatus.EXPIRED
    credential.lapsed_at = now


def expiring_credentials(within_days: int, now: datetime | None = None) -> list[Credential]:
    """Passed credentials of active volunteers that expire in the coming days."""
    today = eligibility.local_today(now or utcnow())
    return list(
        db.session.scalars(
            select(Credential)
            .join(Volunteer)
            .options(
                selectinload(Credential.volunteer).selectinload(Volunteer.contact),
                selectinload(Credential.type),
            )
            .where(
                Volunteer.active,
                Credential.status == CredentialStatus.PASSED,
                Credential.expires_on > today,
                Credential.expires_on <= today + timedelta(days=within_days),
            )
            .order_by(Credential.expires_on)
        )
    )


# --- shifts -------------------------------------------------------------------------------


def _check_shift(data: dict) -> None:
    if data["ends_at"] <= data["starts_at"]:
        raise VolunteerError("The shift must end after it starts.")
    if data["ends_at"] - data["starts_at"] > timedelta(hours=24):
        raise VolunteerError("A shift lasts at most 24 hours; split longer work into shifts.")
    if not 1 <= (data.get("capacity") or 0) <= 1000:
        raise VolunteerError("A shift needs between 1 and 1000 volunteers.")
    if data.get("event_id") is not None:
        from crm.events.models import Event

        if db.session.get(Event, data["event_id"]) is None:
            raise VolunteerError("There is no such event.")


def _types(type_ids: list[int]) -> list[CredentialType]:
    found = list(db.session.scalars(select(CredentialType).where(CredentialType.id.in_(type_ids))))
    if len(found) != len(set(type_ids)):
        raise VolunteerError("One of the required credential types does not exist.")
    return found


def create_shift(data: dict, required_type_ids: list[int], coordinator) -> Shift:
    _check_shift(data)
    shift = Shift(**{f: data.get(f) for f in SHIFT_FIELDS if f in data})
    shift.required_types = _types(required_type_ids)
    shift.coordinator_id = coordinator.id if coordinator else None
    db.session.add(shift)
    db.session.flush()
    return shift


def update_shift(shift: Shift, data: dict, required_type_ids: list[int], now=None) -> list[Signup]:
    """Change a shift; returns the sign-ups removed because their volunteer no longer
    qualifies. Fewer places than confirmed volunteers are refused."""
    now = now or utcnow()
    _check_shift(data)
    lock_shift(shift.id)
    taken = places_taken(shift.id)
    if data["capacity"] < taken:
        raise VolunteerError(
            f"{taken} volunteers are confirmed, so the shift needs at least {taken} places. "
            "Cancel sign-ups first."
        )
    for field in SHIFT_FIELDS:
        if field in data and getattr(shift, field) != data[field]:
            setattr(shift, field, data[field])
    shift.required_types = _types(required_type_ids)
    db.session.flush()
    removed = []
    for signup in active_signups(shift):
        removed += _remove_if_ineligible(signup, now)
    promote_from_waitlist(shift, now=now)
    return removed


def lock_shift(shift_id: int) -> Shift | None:
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Shift).where(Shift.id == shift_id).values(id=Shift.id))
    return db.session.scalar(
        select(Shift)
        .where(Shift.id == shift_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def lock_volunteer(volunteer_id: int) -> Volunteer | None:
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(Volunteer).where(Volunteer.id == volunteer_id).values(id=Volunteer.id)
        )
    return db.session.scalar(
        select(Volunteer)
        .where(Volunteer.id == volunteer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def places_taken(shift_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(
            Signup.shift_id == shift_id, Signup.status == SignupStatus.CONFIRMED
        )
    )


def places_taken_of(shift_ids: list[int]) -> dict[int, int]:
    """Confirmed places of each shift, in one query."""
    if not shift_ids:
        return {}
    return dict(
        db.session.execute(
            select(Signup.shift_id, func.count())
            .where(Signup.shift_id.in_(shift_ids), Signup.status == SignupStatus.CONFIRMED)
            .group_by(Signup.shift_id)
        ).all()
    )


def places_left(shift: Shift) -> int:
    return max(shift.capacity - places_taken(shift.id), 0)


def active_signups(shift: Shift) -> list[Signup]:
    return list(
        db.session.scalars(
            select(Signup)
            .where(Signup.shift_id == shift.id, Signup.status.in_(ACTIVE_SIGNUP))
            .order_by(Signup.created_at, Signup.id)
        )
    )


def upcoming_shifts(now: datetime | None = None) -> list[Shift]:
    return list(
        db.session.scalars(
            select(Shift)
            .options(selectinload(Shift.event), selectinload(Shift.required_types))
            .where(Shift.ends_at > (now or utcnow()), Shift.on())
            .order_by(Shift.starts_at)
        )
    )


# --- sign-up, cancel, waitlist ------------------------------------------------------------


def sign_up(
    shift_id: int, volunteer: Volunteer, *, assigned_by=None, now: datetime | None = None
) -> Signup:
    """Put a volunteer on a shift, or on its waitlist when it is full. Refused when the shift
    has started, overlaps one of theirs, or a required credential is not valid through its end."""
    now = now or utcnow()
    whose = "your" if assigned_by is None else f"{volunteer.name}’s"
    volunteer = lock_volunteer(volunteer.id)
    shift = lock_shift(shift_id)
    if shift is None or volunteer is None:
        raise VolunteerError("There is no such shift.")
    if shift.starts_at <= now:
        raise VolunteerError("This shift has already started, so nobody can sign up for it now.")
    if shift.called_off:
        raise VolunteerError("The event this shift was for has been cancelled.")
    if _signup_of(shift.id, volunteer.id):
        raise VolunteerError(
            "You are already signed up for this shift." if assigned_by is None
            else f"{volunteer.name} is already signed up for this shift."
        )  # fmt: skip
    reasons = eligibility.problems(volunteer, shift, now=now, whose=whose)
    if reasons:
        raise VolunteerError(" ".join(reasons))
    clash = overlapping_signup(volunteer.id, shift)
    if clash is not None:
        who = "you are" if assigned_by is None else f"{volunteer.name} is"
        raise VolunteerError(
            f"This shift overlaps “{clash.shift.title}”, which {who} already signed up for."
        )
    status = SignupStatus.CONFIRMED if places_left(shift) > 0 else SignupStatus.WAITLISTED
    signup = Signup(
        shift=shift, volunteer=volunteer, status=status,
        assigned_by_id=assigned_by.id if assigned_by else None,
    )  # fmt: skip
    db.session.add(signup)
    db.session.flush()
    notify.signed_up(signup)
    return signup


def _signup_of(shift_id: int, volunteer_id: int) -> Signup | None:
    return db.session.scalars(
        select(Signup).where(
            Signup.shift_id == shift_id,
            Signup.volunteer_id == volunteer_id,
            Signup.status.in_(ACTIVE_SIGNUP),
        )
    ).first()


def overlapping_signup(volunteer_id: int, shift: Shift) -> Signup | None:
    return db.session.scalars(
        select(Signup)
        .join(Shift)
        .where(
            Signup.volunteer_id == volunteer_id,
            Signup.status.in_(ACTIVE_SIGNUP),
            Shift.id != shift.id,
            Shift.starts_at < shift.ends_at,
            Shift.ends_at > shift.starts_at,
        )
    ).first()


def _transition(signup: Signup, status: SignupStatus) -> None:
    if status not in SIGNUP_TRANSITIONS[signup.status]:
        raise VolunteerError(f"A {signup.status.value} sign-up cannot become {status}.")
    signup.status = status


def cancel_cutoff() -> timedelta:
    return timedelta(hours=current_app.config["VOLUNTEER_CANCEL_CUTOFF_HOURS"])


def cancel(signup: Signup, *, by_staff: bool = False, now: datetime | None = None) -> list[Signup]:
    """Cancel a sign-up and give its place to the waitlist; returns who was promoted.
    Volunteers may cancel up to the cut-off before the shift; coordinators at any time."""
    now = now or utcnow()
    shift = lock_shift(signup.shift_id)
    db.session.refresh(signup)
    if signup.status not in ACTIVE_SIGNUP:
        raise VolunteerError("This sign-up is already cancelled.")
    if not by_staff and signup.status == SignupStatus.CONFIRMED:
        if shift.starts_at - now < cancel_cutoff():
            hours = current_app.config["VOLUNTEER_CANCEL_CUTOFF_HOURS"]
            raise VolunteerError(
                f"Shifts can be cancelled here up to {plural(hours, 'hour')} before they start. "
                "Please call or email your coordinator instead."
            )
    _transition(signup, SignupStatus.CANCELLED)
    signup.ended_at = now
    db.session.flush()
    return promote_from_waitlist(shift, now=now)


def promote_from_waitlist(shift: Shift, now: datetime | None = None) -> list[Signup]:
    """Give free places to the waitlist in the order people joined it, skipping anyone who
    no longer qualifies (the reminder run takes them off)."""
    now = now or utcnow()
    if shift.starts_at <= now:
        return []
    left = places_left(shift)
    promoted = []
    waiting = db.session.scalars(
        select(Signup)
        .where(Signup.shift_id == shift.id, Signup.status == SignupStatus.WAITLISTED)
        .order_by(Signup.created_at, Signup.id)
    ).all()
    for signup in waiting:
        if left <= 0:
            break
        if eligibility.problems(signup.volunteer, shift, now=now):
            continue
        _transition(signup, SignupStatus.CONFIRMED)
        signup.promoted_at = now
        left -= 1
        promoted.append(signup)
    db.session.flush()
    for signup in promoted:
        notify.promoted(signup)
    return promoted


def remove_ineligible(volunteer: Volunteer, now: datetime | None = None) -> list[Signup]:
    """Take a volunteer off every future shift they no longer qualify for (a credential that
    lapsed, failed or was corrected); each coordinator and the volunteer are told."""
    now = now or utcnow()
    db.session.expire(volunteer, ["credentials"])
    future = db.session.scalars(
        select(Signup)
        .join(Shift)
        .where(
            Signup.volunteer_id == volunteer.id,
            Signup.status.in_(ACTIVE_SIGNUP),
            Shift.starts_at > now,
        )
        .order_by(Shift.starts_at)
    ).all()
    removed = []
    for signup in future:
        removed += _remove_if_ineligible(signup, now)
    return removed


def _remove_if_ineligible(signup: Signup, now: datetime) -> list[Signup]:
    reasons = eligibility.problems(signup.volunteer, signup.shift, now=now)
    if not reasons:
        return []
    shift = lock_shift(signup.shift_id)
    _transition(signup, SignupStatus.REMOVED)
    signup.ended_at = now
    signup.reason = " ".join(reasons)
    db.session.flush()
    notify.removed(signup)
    promote_from_waitlist(shift, now=now)
    return [signup]


def deactivate(volunteer: Volunteer, reason: str, by, now: datetime | None = None) -> list[Signup]:
    """Stop a volunteer from taking shifts: they come off every coming shift (the waitlists
    move up; they and each coordinator are told), and their calendar feed stops. The reason
    goes to the audit log, which only admins read; the volunteer is not shown it."""
    if not volunteer.active:
        raise VolunteerError("This volunteer is already inactive.")
    volunteer.active = False
    record_event(
        "volunteer_deactivated", "Volunteer", volunteer.id, {"reason": reason},
        actor_id=by.id, summary=f"Deactivated {volunteer.name} as a volunteer",
    )  # fmt: skip
    db.session.flush()
    return remove_ineligible(volunteer, now)


def reactivate(volunteer: Volunteer, by) -> None:
    if volunteer.active:
        raise VolunteerError("This volunteer is already active.")
    volunteer.active = True
    record_event("volunteer_reactivated", "Volunteer", volunteer.id, {}, actor_id=by.id,
                 summary=f"Made {volunteer.name} an active volunteer again")  # fmt: skip
    db.session.flush()


def event_cancelled(event_id: int, now: datetime | None = None) -> list[Signup]:
    """The event was called off: everyone on its shifts comes off them, and they and the
    shifts' coordinators are told."""
    now = now or utcnow()
    removed = []
    shifts = db.session.scalars(select(Shift.id).where(Shift.event_id == event_id)).all()
    for shift_id in shifts:
        shift = lock_shift(shift_id)
        for signup in active_signups(shift):
            _transition(signup, SignupStatus.REMOVED)
            signup.ended_at = now
            signup.reason = "The event was cancelled."
            removed.append(signup)
    db.session.flush()
    for signup in removed:
        notify.removed(signup)
    return removed
