"""Coordinators' screens: creating and editing events, check-in at the door, headcounts,
the training request queue, and event types for admins."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from crm.auth.roles import Role
from crm.events.models import (
    Event,
    EventType,
    Headcount,
    Registration,
    RegistrationStatus,
    TrainingRequest,
    TrainingRequestStatus,
)
from crm.extensions import db
from crm.modelbase import utcnow

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def local_dt(value) -> str:
    """What a coordinator types: wall-clock time in the organisation's time zone."""
    return value.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%dT%H:%M")


def event_form(type_id, start: str, end: str, **extra) -> dict:
    return {"title": "Parent night", "type_id": str(type_id), "starts_at": start,
            "ends_at": end, "is_public": "y", "capacity": "30", **extra}  # fmt: skip


def reg(registration_id) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


def test_a_coordinator_creates_an_event_in_the_org_time_zone(signed_in, make_event_type, make_user):
    client, _ = signed_in(Role.COORDINATOR)
    presenter = make_user(Role.COORDINATOR, name="Pria Presenter")
    event_type = make_event_type("Parent night")
    response = client.form("/manage/events/new", event_form(
        event_type.id, "2030-07-01T18:00", "2030-07-01T19:30", audiences=["parents", "educators"],
        presenter_ids=[str(presenter.id)], online_url="https://meet.example.org/x"))  # fmt: skip
    assert response.status_code == 302
    event = Event.query.one()
    assert event.starts_at.isoformat() == "2030-07-01T22:00:00+00:00"  # 18:00 EDT
    assert event.audiences == ["parents", "educators"]
    assert [p.name for p in event.presenters] == ["Pria Presenter"]
    page = client.get(response.location).text
    assert "Parent night" in page and "Pria Presenter" in page


def test_end_before_start_is_refused_and_writes_nothing(signed_in, make_event_type):
    client, _ = signed_in(Role.COORDINATOR)
    event_type = make_event_type()
    response = client.form("/manage/events/new", event_form(
        event_type.id, "2030-07-01T18:00", "2030-07-01T17:00"))  # fmt: skip
    assert response.status_code == 200
    assert "The event must end after it starts." in response.text
    assert Event.query.count() == 0


def test_capacity_lowered_below_registrations_is_refused(signed_in, make_event, register):
    client, _ = signed_in(Role.COORDINATOR)
    event = make_event(capacity=10)
    register(event, "ada", guests=3)
    response = client.form(f"/manage/events/{event.id}/edit", {
        **event_form(event.type_id, local_dt(event.starts_at), local_dt(event.ends_at)),
        "capacity": "2"})  # fmt: skip
    assert "4 seats are already taken" in response.text
    assert Event.query.one().capacity == 10


def test_unknown_ids_are_not_found(signed_in, make_event, make_event_type):
    client, _ = signed_in(Role.ADMIN)
    event = make_event()
    for url in ("/manage/events/999999", "/manage/events/999999/edit",
                "/manage/events/999999/check-in", "/manage/trainings/999999"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.form(f"/manage/events/{event.id}/check-in/999999").status_code == 404
    assert client.form("/manage/event-types/999999/toggle").status_code == 404


def test_check_in_at_the_door(signed_in, make_event, register):
    client, _ = signed_in(Role.COORDINATOR)
    event = make_event(capacity=10)
    ada, _ = register(event, "ada", guests=2)
    register(event, "bob")
    page = client.get(f"/manage/events/{event.id}/check-in?q=ADA").text
    assert "Ada Tester" in page and "Bob Tester" not in page
    client.form(f"/manage/events/{event.id}/check-in/{ada.id}",
                {"guests_attended": "1", "q": "ada"})  # fmt: skip
    ada = reg(ada.id)
    assert ada.attended_at and ada.guests_attended == 1
    response = client.form(f"/manage/events/{event.id}/walk-in",
                           {"name": "Sam Door", "guests": "1"})  # fmt: skip
    assert "Walk-in Sam Door added" in client.get(response.location).text
    assert Registration.query.filter_by(walk_in=True).one().attended_at
    # too many guests: a clear message, nothing changes
    too_many = client.form(f"/manage/events/{event.id}/check-in/{ada.id}",
                           {"guests_attended": "5"})  # fmt: skip
    assert "registered 2 guest" in client.get(too_many.location).text
    assert reg(ada.id).guests_attended == 1
    client.form(f"/manage/events/{event.id}/check-in/{ada.id}/undo")
    assert reg(ada.id).attended_at is None


def test_headcounts_by_audience_and_people_reached(signed_in, make_event, register):
    client, _ = signed_in(Role.COORDINATOR)
    event = make_event()
    ada, _ = register(event, "ada", guests=1)
    client.form(f"/manage/events/{event.id}/check-in/{ada.id}", {"guests_attended": "1"})
    client.form(f"/manage/events/{event.id}/headcounts", {"students": "120", "educators": "8"})
    counts = {h.audience.value: h.count for h in Headcount.query}
    assert counts == {"students": 120, "educators": 8}
    page = client.get(f"/manage/events/{event.id}").text
    assert re.search(r"People reached</dt><dd>130 ", page)
    bad = client.form(f"/manage/events/{event.id}/headcounts", {"students": "-3"})
    assert "not saved" in client.get(bad.location).text
    client.form(f"/manage/events/{event.id}/headcounts", {"students": "100", "educators": ""})
    assert {h.audience.value: h.count for h in Headcount.query} == {"students": 100}


def test_staff_cancel_promotes_the_waitlist(signed_in, make_event, register, mail):
    client, _ = signed_in(Role.COORDINATOR)
    event = make_event(capacity=1)
    ada, _ = register(event, "ada")
    bob, _ = register(event, "bob")
    mail.clear()
    response = client.form(f"/manage/events/{event.id}/registrations/{ada.id}/cancel")
    assert "Promoted from the waitlist: Bob Tester" in client.get(response.location).text
    assert reg(bob.id).status == RegistrationStatus.CONFIRMED
    assert len(mail.to("bob@example.org")) == 1


def test_a_coordinator_accepts_a_training_request(signed_in, make_contact, make_event_type, mail):
    client, user = signed_in(Role.COORDINATOR)
    event_type = make_event_type("School presentation", default_minutes=45)
    contact = make_contact(first_name="Pat", email="pat@lincoln.example.org")
    start = (utcnow() + timedelta(days=30)).replace(second=0, microsecond=0)
    request = TrainingRequest(organisation_name="Lincoln High", organisation_type="school",
                              contact=contact, audience="students", estimated_size=200,
                              preferred_1=start, place="1 School Rd")  # fmt: skip
    db.session.add(request)
    db.session.commit()
    page = client.get(f"/manage/trainings/{request.id}").text
    assert "Training for Lincoln High" in page  # the form is prefilled from the request
    response = client.form(f"/manage/trainings/{request.id}", event_form(
        event_type.id, local_dt(start), local_dt(start + timedelta(minutes=45)),
        title="Lincoln High assembly", audiences=["students"]))  # fmt: skip
    assert response.status_code == 302
    request = TrainingRequest.query.one()
    assert request.status == TrainingRequestStatus.ACCEPTED and request.decided_by_id == user.id
    assert request.event.venue == "1 School Rd" and request.event.starts_at == start
    (message,) = mail.to("pat@lincoln.example.org")
    assert "scheduled" in message["Subject"]
    (part,) = message.iter_attachments()
    (vevent,) = icalendar.Calendar.from_ical(part.get_content()).events
    assert vevent.start == start and str(vevent["summary"]) == "Lincoln High assembly"
    # deciding twice is refused
    again = client.form(f"/manage/trainings/{request.id}/decline", {"message": "No"})
    assert again.status_code == 422 and "already accepted" in again.text
    assert Event.query.count() == 1


def test_a_coordinator_declines_with_a_message(signed_in, make_contact, mail):
    client, _ = signed_in(Role.COORDINATOR)
    contact = make_contact(email="org@example.org")
    request = TrainingRequest(organisation_name="Club", organisation_type="community",
                              contact=contact, audience="parents", estimated_size=10,
                              preferred_1=utcnow() + timedelta(days=3), place="Hall")  # fmt: skip
    db.session.add(request)
    db.session.commit()
    empty = client.form(f"/manage/trainings/{request.id}/decline", {"message": ""})
    assert empty.status_code == 422
    assert TrainingRequest.query.one().status == TrainingRequestStatus.PENDING
    client.form(
        f"/manage/trainings/{request.id}/decline",
        {"message": "We are fully booked that week; try the parent night on the 12th."},
    )
    assert TrainingRequest.query.one().status == TrainingRequestStatus.DECLINED
    (message,) = mail.to("org@example.org")
    assert "fully booked" in message.get_body(("plain",)).get_content()


def test_admins_configure_event_types(signed_in):
    client, _ = signed_in(Role.ADMIN)
    client.form("/manage/event-types/", {"name": "Online webinar", "default_minutes": "60"})
    duplicate = client.form("/manage/event-types/", {"name": "online WEBINAR",
                                                     "default_minutes": "60"})  # fmt: skip
    assert "already an event type" in duplicate.text
    event_type = EventType.query.one()
    client.form(f"/manage/event-types/{event_type.id}/toggle")
    assert EventType.query.one().active is False
