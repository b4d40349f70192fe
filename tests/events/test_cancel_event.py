"""Calling off an event: everyone registered or waiting is told and their calendars updated,
volunteers come off its shifts, the public page says so, and it no longer counts as held."""

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from crm.dashboard import metrics
from crm.events import services as events
from crm.events.models import Registration, RegistrationStatus
from crm.modelbase import utcnow
from crm.volunteers import services as volunteers
from crm.volunteers.models import Shift, Signup, SignupStatus, Volunteer, VolunteerRole

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def volunteer_on(db, event, make_contact):
    contact = make_contact(first_name="Val", last_name="Unteer", email="val@example.org")
    volunteer = Volunteer(contact=contact, roles=["event_helper"], emergency_name="E",
                          emergency_phone="+12025550143")  # fmt: skip
    shift = Shift(title="Welcome desk", role=VolunteerRole.EVENT_HELPER, event_id=event.id,
                  starts_at=event.starts_at, ends_at=event.ends_at, capacity=2)  # fmt: skip
    db.session.add_all([volunteer, shift])
    db.session.flush()
    db.session.add(Signup(shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED))
    db.session.commit()
    return volunteer, shift


def test_a_coordinator_cancels_an_event(client, db, make_user, make_event, register, mail,
                                        make_contact):  # fmt: skip
    event = make_event(capacity=1, title="Parent night")
    register(event, "ada")
    register(event, "bob")  # waitlisted
    volunteer, shift = volunteer_on(db, event, make_contact)
    mail.clear()
    client.login(make_user("coordinator"))

    page = client.get(f"/manage/events/{event.id}").text
    assert "Cancel this event" in page
    client.form(f"/manage/events/{event.id}/cancel", {"note": "Snow day: we will be back in May."})
    page = client.get(f"/manage/events/{event.id}").text
    assert "2 registrants and 1 volunteer were told" in page and "Cancelled" in page

    statuses = {r.email: r.status for r in db.session.scalars(select(Registration))}
    assert statuses == {"ada@example.org": RegistrationStatus.CANCELLED,
                        "bob@example.org": RegistrationStatus.CANCELLED}  # fmt: skip
    assert sorted(m["Subject"] for m in mail.to("ada@example.org")) == ["Cancelled: Parent night"]
    assert len(mail.to("bob@example.org")) == 1
    message = mail.to("ada@example.org")[0]
    assert "Snow day" in message.as_string()
    [ics] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(ics.get_payload(decode=True))
    assert str(calendar["method"]) == "CANCEL"
    [component] = calendar.walk("VEVENT")
    assert str(component["status"]) == "CANCELLED" and str(component["uid"]).startswith("event-")
    [removed] = mail.to("val@example.org")
    assert removed["Subject"] == "You are no longer on the shift: Welcome desk"
    signup = db.session.scalar(select(Signup))
    assert (signup.status, signup.reason) == (SignupStatus.REMOVED, "The event was cancelled.")

    # The public side: the page says so, registration is refused, the list leaves it out,
    # and the calendar feed keeps it, cancelled.
    client.post("/auth/logout")
    public = client.get(f"/events/{event.id}").text
    assert "This event has been cancelled." in public and "Snow day" in public
    assert "Parent night" not in client.get("/events").text
    feed = icalendar.Calendar.from_ical(client.get("/events.ics").data)
    assert [str(c["status"]) for c in feed.walk("VEVENT")] == ["CANCELLED"]
    with pytest.raises(events.EventError, match="cancelled"):
        events.register(event.id, events.Registrant("Cy", "T", "cy@example.org"))
    db.session.rollback()
    # Its shifts take nobody and show no gap.
    with pytest.raises(volunteers.VolunteerError, match="cancelled"):
        volunteers.sign_up(shift.id, volunteer)
    db.session.rollback()
    assert shift.id not in {s.id for s in volunteers.upcoming_shifts()}
    assert metrics.upcoming_events(None) == 0


def test_an_event_is_cancelled_once_and_not_after_it_ended(db, make_event, register, mail):
    event = make_event()
    register(event, "ada")
    events.cancel_event(event.id, None)
    db.session.commit()
    mail.clear()
    with pytest.raises(events.EventError, match="already cancelled"):
        events.cancel_event(event.id, None)
    db.session.rollback()
    assert mail.messages == []
    past = make_event(starts_at=utcnow() - timedelta(days=2))
    with pytest.raises(events.EventError, match="over"):
        events.cancel_event(past.id, None)
