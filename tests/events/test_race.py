"""The last seat raced by ten registrants at once, each in a thread with its own database
session: the lock on the event row lets exactly one of them have it."""

import threading
import time

from sqlalchemy import select

from crm.events import services as events
from crm.events.models import Registration, RegistrationStatus
from crm.extensions import db as _db


def race(app, event_id: int, people: int) -> list[str]:
    barrier = threading.Barrier(people)
    errors = []

    def attempt(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                events.register(event_id, events.Registrant(f"Racer{n}", "Fast",
                                                            f"racer{n}@example.org"))  # fmt: skip
                _db.session.commit()
            except Exception as exc:  # collected: an assertion in a thread would be lost
                _db.session.rollback()
                errors.append(f"{n}: {exc!r}")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_ten_registrants_race_for_the_last_seat(app, db, make_event, register, mail, monkeypatch):
    event = make_event(capacity=3)
    # Widen the window between counting the seats and taking one, so that without the lock
    # every racer would count the same free seat.
    count_seats = events.seats_left

    def slowly(*args, **kwargs):
        left = count_seats(*args, **kwargs)
        time.sleep(0.15)
        return left

    monkeypatch.setattr(events, "seats_left", slowly)
    register(event, "early", guests=1)  # two of three seats gone: one left
    mail.clear()

    assert race(app, event.id, 10) == []

    db.session.expire_all()
    racers = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.guests == 0)
        .order_by(Registration.id)
    ).all()
    statuses = [r.status for r in racers]
    assert statuses.count(RegistrationStatus.CONFIRMED) == 1
    assert statuses.count(RegistrationStatus.WAITLISTED) == 9
    assert events.seats_taken(event.id) == 3
    # everyone heard back: one confirmation, nine waitlist emails
    subjects = sorted(m["Subject"].split(":")[0] for m in mail.messages)
    assert subjects == ["You are on the waitlist"] * 9 + ["You are registered"]

    winner = next(r for r in racers if r.status == RegistrationStatus.CONFIRMED)
    first_in_line = min(
        (r for r in racers if r.status == RegistrationStatus.WAITLISTED),
        key=lambda r: (r.created_at, r.id),
    )
    mail.clear()
    promoted = events.cancel(winner)
    db.session.commit()

    assert promoted == [first_in_line]
    assert first_in_line.status == RegistrationStatus.CONFIRMED
    (message,) = mail.to(first_in_line.contact.email)
    assert message["Subject"] == f"A seat is yours: {event.title}"
    assert [a.get_filename() for a in message.iter_attachments()] == ["event.ics"]
    assert len(mail.messages) == 1  # nobody else was told they have a seat
