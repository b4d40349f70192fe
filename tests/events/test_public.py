"""The public side as a visitor uses it: the list, an event's page, registering (with the
confirmation email and its .ics over SMTP), the cancel link, the feed, asking for a training."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from crm.contacts.models import Contact
from crm.events.models import Registration, RegistrationStatus, TrainingRequest
from crm.mail.models import OutboundEmail
from crm.modelbase import utcnow

pytestmark = pytest.mark.clock  # the outcome depends on today's date

SECRET_LINK = "https://meet.example.org/secret-room"


def ics_of(message) -> icalendar.Calendar:
    (part,) = [p for p in message.iter_attachments() if p.get_filename() == "event.ics"]
    assert part.get_content_type() == "text/calendar"
    return icalendar.Calendar.from_ical(part.get_content())


def cancel_link(message) -> str:
    return re.search(
        r"http://localhost(/events/cancel/\S+)", message.get_body(("plain",)).get_content()
    ).group(1)


def test_the_list_shows_upcoming_public_events_and_filters(client, make_event, make_event_type):
    talk = make_event_type("Parent night")
    make_event(title="Parents: spotting grooming", event_type=talk, audiences=["parents"])
    make_event(
        title="Employer training", online_url=SECRET_LINK, venue=None, audiences=["employers"]
    )
    make_event(title="Staff only", is_public=False)
    make_event(title="Last year", starts_at=utcnow() - timedelta(days=300))
    page = client.get("/events").text
    assert "Parents: spotting grooming" in page and "Employer training" in page
    assert "Staff only" not in page and "Last year" not in page
    assert SECRET_LINK not in page
    assert "Employer training" not in client.get(f"/events?type={talk.id}").text
    only_online = client.get("/events?format=online").text
    assert "Employer training" in only_online and "spotting grooming" not in only_online
    assert "Employer training" not in client.get("/events?audience=parents").text


def test_event_page_hides_the_online_link_and_private_events_are_not_found(client, make_event):
    event = make_event(online_url=SECRET_LINK, capacity=20)
    page = client.get(f"/events/{event.id}")
    assert page.status_code == 200
    assert SECRET_LINK not in page.text and "20 seats left" in page.text
    assert client.get(f"/events/{make_event(is_public=False).id}").status_code == 404
    assert client.get("/events/999999").status_code == 404
    assert client.get("/events/99999999999").status_code == 404
    assert client.form("/events/999999/register", {"first_name": "A"}).status_code == 404


def test_registering_sends_a_confirmation_with_a_valid_ics_and_cancel_link(
    app, client, make_event, mail
):
    zone = ZoneInfo(app.config["ORG_TIMEZONE"])
    start = (
        (utcnow() + timedelta(days=20))
        .astimezone(zone)
        .replace(hour=18, minute=30, second=0, microsecond=0)
    )
    event = make_event(
        starts_at=start, ends_at=start + timedelta(minutes=90), capacity=10, online_url=SECRET_LINK
    )
    response = client.form(
        f"/events/{event.id}/register",
        {
            "first_name": "Maria",
            "last_name": "Garcia",
            "email": "Maria.Garcia@Example.org",
            "phone": "(202) 555-0143",
            "guests": "2",
        },
    )
    assert response.status_code == 302
    assert "You are registered" in client.get(response.location).text

    (message,) = mail.to("Maria.Garcia@example.org")
    assert message["Subject"] == f"You are registered: {event.title}"
    body = message.get_body(("plain",)).get_content()
    assert "with 2 guests" in body and SECRET_LINK in body
    assert start.strftime("%-I:%M %p") in body  # 6:30 PM, the organisation's wall clock
    calendar = ics_of(message)
    (vevent,) = calendar.events
    assert vevent.start == start and vevent.end == start + timedelta(minutes=90)
    assert str(vevent.start.tzinfo) == app.config["ORG_TIMEZONE"]
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == app.config["ORG_TIMEZONE"]
    assert str(vevent["summary"]) == event.title
    assert SECRET_LINK in str(vevent["description"])

    registration = Registration.query.one()
    assert registration.contact.phone == "+12025550143" and registration.guests == 2

    # the private cancel link: a confirmation page, then a POST
    link = cancel_link(message)
    page = client.get(link)
    assert page.status_code == 200 and "Cancel your registration?" in page.text
    assert registration.status == RegistrationStatus.CONFIRMED  # a GET changes nothing
    done = client.form(link)
    assert done.status_code == 200 and "Your registration is cancelled" in done.text
    registration = Registration.query.one()
    assert registration.status == RegistrationStatus.CANCELLED

    # reused: a clear answer, nothing written
    before = OutboundEmail.query.count()
    again = client.form(link)
    assert again.status_code == 410 and "already cancelled" in again.text
    assert client.get(link).status_code == 410
    assert OutboundEmail.query.count() == before


def test_a_forged_cancel_link_is_refused_and_writes_nothing(client, make_event, register):
    registration, token = register(make_event())
    for forged in ("not-a-token", token[:-2] + "zz", "x" * 300):
        assert client.get(f"/events/cancel/{forged}").status_code == 404
        response = client.form(f"/events/cancel/{forged}")
        assert response.status_code == 404 and "not valid" in response.text
    assert Registration.query.one().status == RegistrationStatus.CONFIRMED


def test_a_full_event_puts_people_on_the_waitlist(client, make_event, register, mail):
    event = make_event(capacity=1)
    register(event, "ada")
    mail.clear()
    assert "Join the waitlist" in client.get(f"/events/{event.id}").text
    response = client.form(
        f"/events/{event.id}/register",
        {"first_name": "Bo", "last_name": "Chen", "email": "bo@example.org", "guests": "0"},
    )
    assert "you are on the waitlist" in client.get(response.location).text
    (message,) = mail.to("bo@example.org")
    assert "waitlist" in message["Subject"] and list(message.iter_attachments()) == []
    assert "/events/cancel/" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"days": -2}, "already started or taken place"),
        ({"registration_closes_at": utcnow() - timedelta(hours=1)}, "has closed"),
    ],
)
def test_registering_when_closed_or_past_is_refused(client, make_event, fields, message):
    event = make_event(capacity=5, **fields)
    assert message in client.get(f"/events/{event.id}").text  # no form is offered
    response = client.form(
        f"/events/{event.id}/register",
        {"first_name": "Ada", "last_name": "L", "email": "ada@example.org"},
    )
    assert response.status_code == 409 and message in response.text
    assert Registration.query.count() == 0 and Contact.query.count() == 0


def test_invalid_registration_explains_each_problem(client, make_event):
    event = make_event()
    response = client.form(
        f"/events/{event.id}/register",
        {"first_name": "", "last_name": "L", "email": "not-an-email", "guests": "11"},
    )
    assert response.status_code == 422
    assert "Please correct 3 problems" in response.text
    assert Registration.query.count() == 0


def test_the_calendar_feed_lists_public_events_without_online_links(client, make_event):
    make_event(title="Community awareness night", online_url=SECRET_LINK)
    make_event(title="Private school assembly", is_public=False)
    response = client.get("/events.ics")
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    assert [str(e["summary"]) for e in calendar.events] == ["Community awareness night"]
    assert SECRET_LINK not in response.text


def test_a_school_asks_for_a_training(client, mail):
    start = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT10:00")
    response = client.form(
        "/trainings/request",
        {
            "organisation_name": "Lincoln High School",
            "organisation_type": "school",
            "first_name": "Pat",
            "last_name": "Principal",
            "email": "pat@lincoln.example.org",
            "audience": "students",
            "estimated_size": "240",
            "preferred_1": start,
            "place": "1 School Rd, Springfield",
        },
    )
    assert response.status_code == 302
    assert "we received your request" in client.get(response.location).text
    request = TrainingRequest.query.one()
    assert request.contact.email == "pat@lincoln.example.org"
    assert request.preferred_1.tzinfo is not None
    (message,) = mail.to("pat@lincoln.example.org")
    assert "Lincoln High School" in message.get_body(("plain",)).get_content()


def test_a_training_request_in_the_past_or_incomplete_writes_nothing(client):
    past = (utcnow() - timedelta(days=3)).strftime("%Y-%m-%dT10:00")
    response = client.form(
        "/trainings/request",
        {
            "organisation_name": "X",
            "organisation_type": "school",
            "first_name": "A",
            "last_name": "B",
            "email": "a@example.org",
            "audience": "students",
            "estimated_size": "20",
            "preferred_1": past,
            "place": "here",
        },
    )
    assert response.status_code == 422 and "dates in the future" in response.text
    response = client.form("/trainings/request", {"organisation_name": "X"})
    assert response.status_code == 422
    assert TrainingRequest.query.count() == 0 and Contact.query.count() == 0


def test_public_registration_is_rate_limited(app, client, make_event, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_FORM_RATE_LIMIT", "2 per minute")
    event = make_event(capacity=100)
    statuses = [
        client.form(
            f"/events/{event.id}/register",
            {"first_name": "A", "last_name": f"B{n}", "email": f"p{n}@example.org"},
        ).status_code
        for n in range(3)
    ]
    assert statuses[:2] == [302, 302] and statuses[2] == 429
