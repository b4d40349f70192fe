"""Event types, events, registrations, the waitlist and check-in. Services add and flush;
the caller commits.

Seats are counted under a lock on the event's row, so that ten people racing for the last
seat cannot all get it: on PostgreSQL `SELECT ... FOR UPDATE` serialises registrations for
one event; on SQLite a no-op write first takes the database's write lock for the same effect.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from crm.contacts import services as contacts
from crm.contacts.models import Contact
from crm.contacts.normalise import email_key
from crm.events import notify
from crm.events.models import (
    REGISTRATION_TRANSITIONS,
    Event,
    EventType,
    Registration,
    RegistrationStatus,
)
from crm.extensions import db
from crm.formats import plural
from crm.modelbase import utcnow

MAX_GUESTS = 10
EVENT_FIELDS = (
    "title", "type_id", "description", "starts_at", "ends_at", "venue", "online_url",
    "capacity", "registration_opens_at", "registration_closes_at", "is_public", "campaign_id",
    "audiences", "materials_notes", "survey_url",
)  # fmt: skip


class EventError(ValueError):
    """An event operation that cannot be done; the message is for the user."""


class AlreadyRegistered(EventError):
    """The email already holds a seat or a waitlist place: not a second one."""

    def __init__(self, registration: "Registration"):
        super().__init__(
            "This email address is already registered for this event. Your confirmation "
            "email has a link to cancel or change."
        )
        self.registration = registration


# --- event types --------------------------------------------------------------------------


def create_event_type(name: str, description: str | None, default_minutes: int) -> EventType:
    if db.session.scalar(select(EventType).where(func.lower(EventType.name) == name.lower())):
        raise EventError(f"There is already an event type called “{name}”.")
    event_type = EventType(name=name, description=description, default_minutes=default_minutes)
    db.session.add(event_type)
    db.session.flush()
    return event_type


def active_event_types() -> list[EventType]:
    return list(
        db.session.scalars(select(EventType).where(EventType.active).order_by(EventType.name))
    )


# --- events -------------------------------------------------------------------------------


def _check_event(data: dict) -> None:
    if data["ends_at"] <= data["starts_at"]:
        raise EventError("The event must end after it starts.")
    opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
    if opens and closes and closes <= opens:
        raise EventError("Registration must close after it opens.")
    if closes and closes > data["ends_at"]:
        raise EventError("Registration cannot close after the event ends.")
    if data.get("capacity") is not None and data["capacity"] < 0:
        raise EventError("Capacity cannot be negative.")
    if db.session.get(EventType, data["type_id"]) is None:
        raise EventError("Choose an event type.")


def create_event(data: dict, presenters: list | None = None) -> Event:
    _check_event(data)
    event = Event(**{f: data.get(f) for f in EVENT_FIELDS if f in data})
    event.presenters = list(presenters or [])
    db.session.add(event)
    db.session.flush()
    return event


def update_event(event: Event, data: dict, presenters: list | None = None) -> Event:
    """Change an event. Capacity may not go below the seats already taken; a larger capacity
    promotes people from the waitlist."""
    _check_event(data)
    lock_event(event.id)
    taken = seats_taken(event.id)
    capacity = data.get("capacity")
    if capacity is not None and capacity < taken:
        raise EventError(
            f"{taken} seats are already taken, so the capacity cannot be lower than {taken}. "
            "Cancel registrations first."
        )
    for field in EVENT_FIELDS:
        if field in data and getattr(event, field) != data[field]:
            setattr(event, field, data[field])
    if presenters is not None:
        event.presenters = list(presenters)
    db.session.flush()
    promote_from_waitlist(event)
    return event


def lock_event(event_id: int) -> Event | None:
    """Take the lock that serialises seat changes for one event, and return it fresh."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Event).where(Event.id == event_id).values(id=Event.id))
    return db.session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def seats_taken(event_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(1 + Registration.guests), 0)).where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )


def seats_left(event: Event) -> int | None:
    if event.capacity is None:
        return None
    return max(event.capacity - seats_taken(event.id), 0)


def seats_taken_of(event_ids: list[int]) -> dict[int, int]:
    """Seats taken at each event (registrants and their guests), in one query."""
    if not event_ids:
        return {}
    return dict(
        db.session.execute(
            select(Registration.event_id, func.sum(1 + Registration.guests))
            .where(
                Registration.event_id.in_(event_ids),
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .group_by(Registration.event_id)
        ).all()
    )


def seats_left_of(events: list[Event]) -> dict[int, int | None]:
    """Seats left for each event, in one query; None where the capacity is unlimited."""
    taken = seats_taken_of([e.id for e in events if e.capacity is not None])
    return {
        e.id: None if e.capacity is None else max(e.capacity - taken.get(e.id, 0), 0)
        for e in events
    }


def upcoming_public_events(
    type_id: int | None = None,
    audience: str | None = None,
    online: bool | None = None,
    *,
    cancelled: bool = False,
) -> list[Event]:
    """Public events still to come; with `cancelled`, the cancelled ones too (the calendar
    feed keeps them, marked, so that subscribed calendars show the cancellation)."""
    query = (
        select(Event)
        .options(selectinload(Event.type))
        .where(Event.is_public, Event.ends_at > utcnow())
        .order_by(Event.starts_at, Event.id)
    )
    if not cancelled:
        query = query.where(Event.cancelled_at.is_(None))
    if type_id:
        query = query.where(Event.type_id == type_id)
    if online is True:
        query = query.where(Event.online_url.is_not(None))
    elif online is False:
        query = query.where(Event.venue.is_not(None))
    events = list(db.session.scalars(query))
    if audience:  # a JSON list: filtered here rather than in two dialects of JSON SQL
        events = [e for e in events if audience in (e.audiences or ())]
    return events


# --- registration -------------------------------------------------------------------------


@dataclass
class Registrant:
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    guests: int = 0


def registration_problem(event: Event, now: datetime | None = None) -> str | None:
    """Why the public cannot register for this event now, or None if they can."""
    now = now or utcnow()
    if event.cancelled_at is not None:
        return "This event was cancelled."
    if event.starts_at <= now:
        return "This event has already started or taken place, so registration is closed."
    if event.registration_opens_at and now < event.registration_opens_at:
        return "Registration for this event has not opened yet."
    if event.registration_closes_at and now >= event.registration_closes_at:
        return "Registration for this event has closed."
    return None


def find_or_create_contact(
    email: str, first_name: str, last_name: str, phone: str | None = None
) -> Contact:
    """Match by normalised email (the foundation's duplicate rule), or create the contact."""
    existing = db.session.scalars(
        select(Contact).where(Contact.email_key == email_key(email)).order_by(Contact.id)
    ).first()
    if existing is None:
        return contacts.create_contact(
            {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}
        )
    if phone and not existing.phone:
        existing.phone = phone
    return existing


def register(event_id: int, registrant: Registrant) -> tuple[Registration, str]:
    """Register someone (and their guests). They get a seat if every seat they need is free,
    otherwise a place on the waitlist. Returns the registration and its cancel token, which
    is emailed and never stored."""
    if not 0 <= registrant.guests <= MAX_GUESTS:
        raise EventError(f"Bring at most {MAX_GUESTS} guests.")
    event = lock_event(event_id)
    if event is None or not event.is_public:
        raise EventError("There is no such event.")
    problem = registration_problem(event)
    if problem:
        raise EventError(problem)
    contact = find_or_create_contact(
        registrant.email, registrant.first_name, registrant.last_name, registrant.phone
    )
    existing = _active_registration(event.id, contact.id)
    if existing is not None:
        raise AlreadyRegistered(existing)
    left = seats_left(event)
    needed = 1 + registrant.guests
    status = (
        RegistrationStatus.CONFIRMED
        if left is None or needed <= left
        else RegistrationStatus.WAITLISTED
    )
    from crm.auth.tokens import new_token

    token, token_hash = new_token()
    registration = Registration(
        event=event, contact=contact, status=status, guests=registrant.guests,
        cancel_token_hash=token_hash,
    )  # fmt: skip
    db.session.add(registration)
    db.session.flush()
    notify.registered(registration, token)
    return registration, token


def _active_registration(event_id: int, contact_id: int) -> Registration | None:
    return db.session.scalars(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.contact_id == contact_id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
    ).first()


def _transition(registration: Registration, status: RegistrationStatus) -> None:
    if status not in REGISTRATION_TRANSITIONS[registration.status]:
        raise EventError(f"A {registration.status.value} registration cannot become {status}.")
    registration.status = status


def registration_for_token(token: str) -> Registration | None:
    from crm.auth.tokens import hash_token

    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(Registration).where(Registration.cancel_token_hash == hash_token(token))
    )


def cancel(registration: Registration, *, by_staff: bool = False) -> list[Registration]:
    """Cancel a registration and give its seats to the waitlist; returns who was promoted."""
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        raise EventError("This registration is already cancelled.")
    if not by_staff and event.starts_at <= utcnow():
        raise EventError("This event has already started, so the registration cannot change.")
    if event.ends_at <= utcnow():
        raise EventError("This event is over: its registrations stay as they were.")
    _transition(registration, RegistrationStatus.CANCELLED)
    registration.cancelled_at = utcnow()
    db.session.flush()
    return promote_from_waitlist(event)


def cancel_event(
    event_id: int, note: str | None, now: datetime | None = None
) -> list[Registration]:
    """Call off an event that has not ended: every registration and waitlist place is
    cancelled and each registrant is told (with `note`, and a calendar cancellation). The
    event stays, marked, for the record; it no longer counts as held."""
    now = now or utcnow()
    event = lock_event(event_id)
    if event is None:
        raise EventError("There is no such event.")
    if event.cancelled_at is not None:
        raise EventError("This event is already cancelled.")
    if event.ends_at <= now:
        raise EventError("This event is over, so it cannot be cancelled.")
    event.cancelled_at, event.cancel_note = now, note or None
    told = db.session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .order_by(Registration.id)
    ).all()
    for registration in told:
        _transition(registration, RegistrationStatus.CANCELLED)
        registration.cancelled_at = now
    db.session.flush()
    for registration in told:
        notify.event_cancelled(registration)
    return list(told)


def promote_from_waitlist(event: Event) -> list[Registration]:
    """Give free seats to the waitlist in the order people joined it: the first in line is
    promoted as soon as their party fits; a larger party does not hold up smaller ones."""
    if event.starts_at <= utcnow():
        return []
    promoted = []
    left = seats_left(event)
    waiting = db.session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.created_at, Registration.id)
    ).all()
    for registration in waiting:
        if left is not None and registration.seats > left:
            continue
        _transition(registration, RegistrationStatus.CONFIRMED)
        registration.promoted_at = utcnow()
        if left is not None:
            left -= registration.seats
        promoted.append(registration)
    db.session.flush()
    for registration in promoted:
        notify.promoted(registration)
    return promoted


# --- check-in -----------------------------------------------------------------------------


def checkin_list(event: Event, q: str = "") -> list[Registration]:
    query = (
        select(Registration)
        .outerjoin(Contact, Registration.contact_id == Contact.id)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .order_by(Contact.last_name, Contact.first_name, Registration.walk_in_name)
    )
    q = (q or "").strip()
    if q:
        from crm.contacts.normalise import fold

        pattern = f"%{fold(q).replace('%', '').replace('_', '')}%"
        query = query.where(
            Contact.search_key.like(pattern) | func.lower(Registration.walk_in_name).like(pattern)
        )
    return list(db.session.scalars(query.limit(200)))


def mark_attended(registration: Registration, guests_attended: int) -> None:
    if registration.status != RegistrationStatus.CONFIRMED:
        raise EventError("Only confirmed registrations can be checked in.")
    if not 0 <= guests_attended <= registration.guests:
        raise EventError(f"{registration.name} registered {plural(registration.guests, 'guest')}.")
    registration.attended_at = registration.attended_at or utcnow()
    registration.guests_attended = guests_attended
    db.session.flush()


def undo_attended(registration: Registration) -> None:
    registration.attended_at = None
    registration.guests_attended = 0
    db.session.flush()


def add_walk_in(event: Event, name: str, email: str | None = None, guests: int = 0) -> Registration:
    """Someone who turned up without registering: checked in at once. With an email they
    become (or match) a contact; without one only the name typed at the door is kept."""
    if not 0 <= guests <= MAX_GUESTS:
        raise EventError(f"At most {MAX_GUESTS} guests.")
    lock_event(event.id)
    contact = None
    if email:
        first, _, last = name.strip().partition(" ")
        if not last.strip():
            raise EventError("Give a first and a last name to add someone with an email address.")
        contact = find_or_create_contact(email, first, last.strip())
    registration = Registration(
        event=event, contact=contact, walk_in_name=None if contact else name.strip(),
        status=RegistrationStatus.CONFIRMED, guests=guests, walk_in=True,
        attended_at=utcnow(), guests_attended=guests,
    )  # fmt: skip
    db.session.add(registration)
    db.session.flush()
    return registration
