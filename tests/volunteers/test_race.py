"""Ten volunteers race for the last place on a shift, each in a thread with its own session:
the lock on the shift's row lets exactly one of them have it (PostgreSQL: the real test of
row locks; SQLite serialises writers anyway)."""

import threading
import time

from sqlalchemy import select

from crm.extensions import db as _db
from crm.volunteers import services
from crm.volunteers.models import Signup, SignupStatus, Volunteer


def race(app, shift_id: int, volunteer_ids: list[int]) -> list[str]:
    barrier = threading.Barrier(len(volunteer_ids))
    errors = []

    def attempt(volunteer_id: int) -> None:
        with app.app_context():
            try:
                volunteer = _db.session.get(Volunteer, volunteer_id)
                barrier.wait(timeout=10)
                services.sign_up(shift_id, volunteer)
                _db.session.commit()
            except Exception as exc:  # collected: an assertion in a thread would be lost
                _db.session.rollback()
                errors.append(f"{volunteer_id}: {exc!r}")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(v,)) for v in volunteer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_ten_volunteers_race_for_the_last_place(
    app, db, make_volunteer, cleared, make_shift, mail, monkeypatch
):
    shift = make_shift(capacity=2, youth_facing=True)
    early = cleared(make_volunteer("early"))
    services.sign_up(shift.id, early)
    db.session.commit()
    racers = [cleared(make_volunteer(f"racer{n}", user=False)).id for n in range(10)]
    # Widen the window between counting the places and taking one: without the lock every
    # racer would count the same free place.
    count_places = services.places_left

    def slowly(*args, **kwargs):
        left = count_places(*args, **kwargs)
        time.sleep(0.15)
        return left

    monkeypatch.setattr(services, "places_left", slowly)
    mail.clear()

    assert race(app, shift.id, racers) == []

    db.session.expire_all()
    signups = db.session.scalars(
        select(Signup).where(Signup.volunteer_id.in_(racers)).order_by(Signup.id)
    ).all()
    statuses = [s.status for s in signups]
    assert statuses.count(SignupStatus.CONFIRMED) == 1
    assert statuses.count(SignupStatus.WAITLISTED) == 9
    assert services.places_taken(shift.id) == 2
    subjects = sorted(m["Subject"].split(":")[0] for m in mail.messages)
    assert subjects == ["You are on the shift"] + ["You are on the waitlist"] * 9

    winner = next(s for s in signups if s.status == SignupStatus.CONFIRMED)
    first_in_line = min(
        (s for s in signups if s.status == SignupStatus.WAITLISTED),
        key=lambda s: (s.created_at, s.id),
    )
    mail.clear()
    monkeypatch.setattr(services, "places_left", count_places)
    assert services.cancel(winner) == [first_in_line]
    db.session.commit()
    assert first_in_line.status == SignupStatus.CONFIRMED
    (message,) = mail.messages
    assert message["To"] == first_in_line.volunteer.email
    assert message["Subject"] == "A place is yours: Welcome desk"
