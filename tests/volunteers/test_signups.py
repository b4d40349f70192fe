"""Sign-up, the waitlist, cancelling, overlaps, and lapses taking people off shifts."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.modelbase import utcnow
from crm.volunteers import reminders, services
from crm.volunteers.models import (
    Credential,
    CredentialStatus,
    Shift,
    Signup,
    SignupStatus,
)
from tests.volunteers.conftest import local, today

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def test_full_shift_waitlists_and_a_cancellation_promotes_the_first_in_line(
    db, make_volunteer, make_shift, mail
):
    shift = make_shift(capacity=1)
    ann, ben, cat = (make_volunteer(n) for n in ("ann", "ben", "cat"))
    first = services.sign_up(shift.id, ann)
    second = services.sign_up(shift.id, ben)
    third = services.sign_up(shift.id, cat)
    db.session.commit()
    assert [first.status, second.status, third.status] == [
        SignupStatus.CONFIRMED, SignupStatus.WAITLISTED, SignupStatus.WAITLISTED
    ]  # fmt: skip

    mail.clear()
    assert services.cancel(first) == [second]
    db.session.commit()
    assert second.status == SignupStatus.CONFIRMED and third.status == SignupStatus.WAITLISTED
    (message,) = mail.messages
    assert message["To"] == "ben@example.org"
    assert message["Subject"] == "A place is yours: Welcome desk"
    assert [a.get_filename() for a in message.iter_attachments()] == ["shift.ics"]


def test_signing_up_after_the_shift_started_is_refused(db, make_volunteer, make_shift, count):
    shift = make_shift(starts_at=utcnow() - timedelta(minutes=5), hours=3)
    with pytest.raises(services.VolunteerError, match="already started"):
        services.sign_up(shift.id, make_volunteer("ann"))
    db.session.rollback()
    assert count(Signup) == 0


def test_overlapping_shifts_for_one_person_are_refused(db, make_volunteer, make_shift, count):
    ann = make_volunteer("ann")
    day = today() + timedelta(days=5)
    morning = make_shift(starts_at=local(day, 9), hours=3, title="Morning")
    late_morning = make_shift(starts_at=local(day, 11), hours=2, title="Late morning")
    afternoon = make_shift(starts_at=local(day, 12), hours=2, title="Afternoon")
    services.sign_up(morning.id, ann)
    db.session.commit()

    with pytest.raises(services.VolunteerError, match="overlaps “Morning”"):
        services.sign_up(late_morning.id, ann)
    db.session.rollback()
    services.sign_up(afternoon.id, ann)  # starts when the morning ends: no overlap
    db.session.commit()
    assert count(Signup) == 2


def test_signing_up_twice_and_unknown_shifts_are_refused(db, make_volunteer, make_shift, count):
    ann = make_volunteer("ann")
    shift = make_shift()
    services.sign_up(shift.id, ann)
    db.session.commit()
    with pytest.raises(services.VolunteerError, match="already signed up"):
        services.sign_up(shift.id, ann)
    db.session.rollback()
    with pytest.raises(services.VolunteerError, match="no such shift"):
        services.sign_up(987654, ann)
    db.session.rollback()
    assert count(Signup) == 1


def test_cancelling_closes_at_the_cut_off_for_volunteers_not_coordinators(
    app, db, make_volunteer, make_shift
):
    hours = app.config["VOLUNTEER_CANCEL_CUTOFF_HOURS"]
    shift = make_shift(starts_at=utcnow() + timedelta(hours=hours - 1))
    signup = services.sign_up(shift.id, make_volunteer("ann"))
    db.session.commit()
    with pytest.raises(services.VolunteerError, match=f"up to {hours} hours before"):
        services.cancel(signup)
    db.session.rollback()
    services.cancel(signup, by_staff=True)
    db.session.commit()
    assert signup.status == SignupStatus.CANCELLED


def test_a_shift_must_end_after_it_starts(db, coordinator, count):
    start = utcnow() + timedelta(days=3)
    data = {"title": "Stall", "role": "outreach", "starts_at": start, "ends_at": start,
            "capacity": 2}  # fmt: skip
    with pytest.raises(services.VolunteerError, match="must end after it starts"):
        services.create_shift(data, [], coordinator)
    db.session.rollback()
    assert count(Shift) == 0


def test_a_lapse_takes_the_volunteer_off_future_youth_facing_shifts(
    app, db, make_volunteer, cleared, make_shift, mail, coordinator
):
    """The safeguarding training lapses (here: its date was corrected, so the nightly run finds
    it expired): Ann is taken off her youth-facing shift, Ben moves up from the waitlist,
    Ann's other shift is left alone, and Ann and the coordinator are told."""
    ann, ben = cleared(make_volunteer("ann")), cleared(make_volunteer("ben"))
    school = make_shift(capacity=1, youth_facing=True, title="School assembly")
    office = make_shift(starts_at=utcnow() + timedelta(days=20), title="Mailing")
    services.sign_up(school.id, ann)
    services.sign_up(school.id, ben)
    services.sign_up(office.id, ann)
    db.session.commit()
    training = db.session.scalar(
        select(Credential).where(
            Credential.volunteer_id == ann.id, Credential.type.has(key="safeguarding_training")
        )
    )
    training.expires_on = today()  # as if recorded a year ago
    db.session.commit()
    mail.clear()

    report = reminders.run()
    db.session.commit()

    assert (report.lapsed, report.removed) == (1, 1)
    assert training.status == CredentialStatus.EXPIRED
    statuses = {(s.shift.title, s.volunteer.name): s.status for s in db.session.scalars(
        select(Signup))}  # fmt: skip
    assert statuses == {
        ("School assembly", "Ann Helper"): SignupStatus.REMOVED,
        ("School assembly", "Ben Helper"): SignupStatus.CONFIRMED,
        ("Mailing", "Ann Helper"): SignupStatus.CONFIRMED,
    }
    subjects = sorted((m["To"], m["Subject"]) for m in mail.messages)
    assert subjects == [
        ("ann@example.org", "You are no longer on the shift: School assembly"),
        ("ann@example.org", "Your safeguarding training has expired"),
        ("ben@example.org", "A place is yours: School assembly"),
        (coordinator.email, "Ann Helper was taken off School assembly"),
    ]
    removal = next(m for m in mail.to("ann@example.org") if "no longer" in m["Subject"])
    assert "safeguarding training expired on" in removal.get_content()

    mail.clear()
    assert reminders.run().lapsed == 0  # the next run finds nothing new
    db.session.commit()
    assert mail.messages == []


def test_a_failed_background_check_removes_at_once(
    db, make_volunteer, cleared, make_shift, admin, give
):
    ann = cleared(make_volunteer("ann"))
    shift = make_shift(youth_facing=True)
    signup = services.sign_up(shift.id, ann)
    db.session.commit()
    check = next(c for c in ann.credentials if c.type.key == "background_check")
    services.change_credential_status(check, CredentialStatus.FAILED, None, admin)
    db.session.commit()
    assert signup.status == SignupStatus.REMOVED
    assert signup.reason == "Your background check was not passed."


def test_only_admins_record_background_checks(db, make_volunteer, types, coordinator, count):
    with pytest.raises(services.VolunteerError, match="Only an admin"):
        services.record_credential(
            make_volunteer("ann"), types["background_check"], CredentialStatus.PASSED, today(),
            "ref", coordinator,
        )  # fmt: skip
    db.session.rollback()
    assert count(Credential) == 0
