"""Registration, the waitlist, cancellation, capacity and check-in, without HTTP."""

from datetime import timedelta

import pytest

from crm.events import services as events
from crm.events.models import Event, Registration, RegistrationStatus
from crm.mail.models import OutboundEmail
from crm.modelbase import utcnow

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def test_guests_count_against_capacity_and_a_full_event_waitlists(make_event, register):
    event = make_event(capacity=3)
    first, _ = register(event, "ada", guests=1)
    second, _ = register(event, "bob", guests=1)  # needs 2 seats, 1 left
    third, _ = register(event, "cy")
    assert first.status == RegistrationStatus.CONFIRMED
    assert second.status == RegistrationStatus.WAITLISTED
    assert third.status == RegistrationStatus.CONFIRMED  # a smaller party fits
    assert events.seats_taken(event.id) == 3 and events.seats_left(event) == 0


def test_a_cancellation_promotes_the_first_in_line_who_fits(db, make_event, register):
    event = make_event(capacity=2)
    seated, _ = register(event, "ada", guests=1)
    big, _ = register(event, "bob", guests=2)  # 3 seats: never fits in 2
    small, _ = register(event, "cy")
    later, _ = register(event, "dee")
    promoted = events.cancel(seated)
    db.session.commit()
    assert promoted == [small, later]
    assert big.status == RegistrationStatus.WAITLISTED
    assert small.promoted_at is not None
    subjects = [m.subject for m in db.session.query(OutboundEmail).order_by(OutboundEmail.id)]
    assert subjects.count("A seat is yours: " + event.title) == 2


def test_unlimited_capacity_never_waitlists(make_event, register):
    event = make_event(capacity=None)
    for name in ("a", "b", "c"):
        registration, _ = register(event, name, guests=10)
        assert registration.status == RegistrationStatus.CONFIRMED


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"days": -1}, "already started or taken place"),
        ({"registration_opens_at": utcnow() + timedelta(days=1)}, "has not opened yet"),
        ({"registration_closes_at": utcnow() - timedelta(minutes=1)}, "has closed"),
        ({"is_public": False}, "no such event"),
    ],
)
def test_registration_refused_when_not_open_writes_nothing(db, make_event, count, fields, message):
    event = make_event(capacity=10, **fields)
    contacts_before = count(Registration), count(OutboundEmail)
    with pytest.raises(events.EventError, match=message):
        events.register(event.id, events.Registrant("Ada", "L", "ada@example.org"))
    db.session.rollback()
    assert (count(Registration), count(OutboundEmail)) == contacts_before


def test_unknown_event_and_too_many_guests_are_refused(db, make_event):
    with pytest.raises(events.EventError, match="no such event"):
        events.register(999_999, events.Registrant("A", "B", "a@example.org"))
    event = make_event()
    with pytest.raises(events.EventError, match="at most 10 guests"):
        events.register(event.id, events.Registrant("A", "B", "a@example.org", guests=11))


def test_the_same_email_cannot_register_twice(db, make_event, register, count):
    event = make_event()
    register(event, "ada", email="ada@example.org")
    with pytest.raises(events.EventError, match="already registered"):
        events.register(event.id, events.Registrant("Ada", "T", " ADA@example.org"))
    db.session.rollback()
    assert count(Registration) == 1


def test_registrant_is_matched_to_an_existing_contact_by_email(make_contact, make_event, register):
    contact = make_contact(email="grace@example.org", first_name="Grace", last_name="Hopper")
    registration, _ = register(make_event(), "someone", email="Grace@Example.org")
    assert registration.contact_id == contact.id
    assert registration.contact.first_name == "Grace"  # the contact's record is not overwritten


def test_capacity_cannot_go_below_seats_taken(db, make_event, register):
    event = make_event(capacity=5)
    register(event, "ada", guests=2)
    data = {"title": event.title, "type_id": event.type_id, "starts_at": event.starts_at,
            "ends_at": event.ends_at, "capacity": 2}  # fmt: skip
    with pytest.raises(events.EventError, match="3 seats are already taken"):
        events.update_event(event, data)
    db.session.rollback()
    assert db.session.get(Event, event.id).capacity == 5


def test_raising_capacity_promotes_the_waitlist(db, make_event, register):
    event = make_event(capacity=1)
    register(event, "ada")
    waiting, _ = register(event, "bob")
    data = {"title": event.title, "type_id": event.type_id, "starts_at": event.starts_at,
            "ends_at": event.ends_at, "capacity": 2}  # fmt: skip
    events.update_event(event, data)
    db.session.commit()
    assert waiting.status == RegistrationStatus.CONFIRMED


def test_an_event_must_end_after_it_starts(db, make_event_type, count):
    start = utcnow() + timedelta(days=1)
    with pytest.raises(events.EventError, match="end after it starts"):
        events.create_event({"title": "X", "type_id": make_event_type().id,
                             "starts_at": start, "ends_at": start})  # fmt: skip
    db.session.rollback()
    assert count(Event) == 0


def test_cancelling_twice_or_after_the_start_is_refused(db, make_event, register):
    event = make_event()
    registration, _ = register(event)
    events.cancel(registration)
    db.session.commit()
    with pytest.raises(events.EventError, match="already cancelled"):
        events.cancel(registration)
    db.session.rollback()
    started = make_event(starts_at=utcnow() + timedelta(hours=1))
    other, _ = register(started, "bob")
    started.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    with pytest.raises(events.EventError, match="already started"):
        events.cancel(other)


def test_the_cancel_token_is_stored_only_as_a_hash(make_event, register):
    registration, token = register(make_event())
    assert token not in registration.cancel_token_hash
    assert events.registration_for_token(token) == registration
    assert events.registration_for_token(token[:-1] + "x") is None
    assert events.registration_for_token("") is None


def test_check_in_and_walk_ins(db, make_event, register):
    event = make_event(capacity=10)
    registration, _ = register(event, "ada", guests=2)
    with pytest.raises(events.EventError, match="registered 2 guest"):
        events.mark_attended(registration, 3)
    events.mark_attended(registration, 1)
    walk_in = events.add_walk_in(event, "Sam Door", None, guests=1)
    with_email = events.add_walk_in(event, "Kim Lee", "kim@example.org")
    db.session.commit()
    assert walk_in.contact is None and walk_in.name == "Sam Door" and walk_in.attended_at
    assert with_email.contact.email == "kim@example.org"
    with pytest.raises(events.EventError, match="first and a last name"):
        events.add_walk_in(event, "Prince", "p@example.org")
    names = [r.name for r in events.checkin_list(event, "door")]
    assert names == ["Sam Door"]
