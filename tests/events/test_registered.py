"""After registering: the confirmation page, the event page that remembers this browser's
registration, the calendar links, the same email sent twice, and seats on the event cards."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest

from crm.events.models import Registration, RegistrationStatus
from crm.mail.models import OutboundEmail
from crm.modelbase import utcnow

pytestmark = pytest.mark.clock  # the outcome depends on today's date

SECRET_LINK = "https://meet.example.org/secret-room"


def sign_up(client, event, email="maria@example.org", guests="0"):
    return client.form(
        f"/events/{event.id}/register",
        {"first_name": "Maria", "last_name": "Garcia", "email": email, "guests": guests},
    )


def form_action(event) -> str:
    return f'action="/events/{event.id}/register"'


def test_the_confirmation_replaces_the_form_with_calendar_and_cancel_links(client, make_event):
    event = make_event(capacity=10, online_url=SECRET_LINK)
    response = sign_up(client, event, guests="1")
    assert response.status_code == 302
    assert response.location == f"/events/{event.id}/registered"

    page = client.get(response.location)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert '<h1 class="h3">You are registered</h1>' in page.text
    assert "We sent a confirmation to maria@example.org" in page.text
    assert "you and 1 guest" in page.text
    assert f'href="/events/{event.id}.ics"' in page.text
    assert "https://calendar.google.com/calendar/render?" in page.text
    assert SECRET_LINK not in page.text
    cancel = re.search(r'href="(/events/cancel/[^"]+)"', page.text).group(1)

    # the event's page, for this browser, says so instead of offering the form again
    shown = client.get(f"/events/{event.id}")
    assert shown.headers["Cache-Control"] == "no-store"
    show = shown.text
    assert "You are registered" in show and "As maria@example.org, with 1 guest" in show
    assert form_action(event) not in show and f'href="{cancel}"' in show
    assert form_action(event) in client.get(f"/events/{event.id}?another=1").text

    # another browser sees the form, and no registration of anyone else
    other = client.application.test_client()
    assert form_action(event) in other.get(f"/events/{event.id}").text
    assert "maria@example.org" not in other.get(f"/events/{event.id}").text
    assert other.get(f"/events/{event.id}/registered").location == f"/events/{event.id}"

    # once cancelled (with the link the page gave), the form is back
    assert client.form(cancel).status_code == 200
    assert Registration.query.one().status == RegistrationStatus.CANCELLED
    assert form_action(event) in client.get(f"/events/{event.id}").text
    assert client.get(f"/events/{event.id}/registered").status_code == 302


def test_a_waitlisted_visitor_is_told_so_and_gets_no_calendar_links(client, make_event, register):
    event = make_event(capacity=1)
    register(event, "ada")
    page = client.get(sign_up(client, event).location).text
    assert "You are on the waitlist" in page and "as soon as a seat is yours" in page
    assert f"/events/{event.id}.ics" not in page
    assert "Cancel my place on the waitlist" in page


def test_the_same_email_again_is_already_registered_not_a_second_seat(client, make_event, register):
    event = make_event(capacity=10)
    register(event, "maria", email="maria@example.org")  # from another device, earlier
    emails = OutboundEmail.query.count()

    response = sign_up(client, event, email="Maria@Example.org")
    assert response.status_code == 200
    assert "You are already registered" in response.text
    assert "is already registered for this event, so we did not" in response.text
    assert "/events/cancel/" not in response.text  # the link is only in their email
    assert Registration.query.count() == 1 and OutboundEmail.query.count() == emails

    # the same browser sending its own form twice (the back button) gets its confirmation
    event2 = make_event(capacity=10, title="Second night")
    assert sign_up(client, event2, email="bo@example.org").status_code == 302
    again = sign_up(client, event2, email="bo@example.org")
    assert again.status_code == 302 and again.location == f"/events/{event2.id}/registered"
    assert Registration.query.filter_by(event_id=event2.id).count() == 1


def test_an_event_has_its_own_calendar_file_without_the_online_link(client, make_event):
    start = (utcnow() + timedelta(days=9)).replace(microsecond=0)
    event = make_event(title="Awareness night", online_url=SECRET_LINK, starts_at=start)
    response = client.get(f"/events/{event.id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    (vevent,) = icalendar.Calendar.from_ical(response.data).events
    assert str(vevent["summary"]) == "Awareness night"
    assert vevent.start == event.starts_at and vevent.end == event.ends_at
    assert SECRET_LINK not in response.text
    assert "CRM" not in response.text
    assert client.get(f"/events/{make_event(is_public=False).id}.ics").status_code == 404


def test_the_google_calendar_link_carries_the_event(app, client, make_event):
    event = make_event(title="Parent night", venue="Lincoln High\n1 School Rd")
    page = client.get(sign_up(client, event).location).text
    url = re.search(r'href="(https://calendar\.google\.com/[^"]+)"', page).group(1)
    query = parse_qs(urlsplit(url.replace("&amp;", "&")).query)
    start = event.starts_at.strftime("%Y%m%dT%H%M%SZ")
    end = event.ends_at.strftime("%Y%m%dT%H%M%SZ")
    assert query["action"] == ["TEMPLATE"] and query["text"] == ["Parent night"]
    assert query["dates"] == [f"{start}/{end}"]
    assert query["location"] == ["Lincoln High 1 School Rd"]
    assert f"http://localhost/events/{event.id}" in query["details"][0]


def test_event_cards_show_seats_left_and_full(client, make_event, register):
    roomy = make_event(title="Roomy", capacity=3)
    full = make_event(title="Packed", capacity=1)
    make_event(title="Unlimited", capacity=None)
    make_event(title="Not yet", capacity=5, registration_opens_at=utcnow() + timedelta(days=2))
    register(roomy, "ada", guests=1)
    register(full, "bo")
    page = client.get("/events").text
    cards = {
        re.search(r">([^<]+)</a></h3>", card).group(1): card
        for card in page.split('<li class="card mb-3">')[1:]
    }
    assert "1 seat left" in cards["Roomy"]
    assert "Full — join the waitlist" in cards["Packed"]
    assert "seat" not in cards["Unlimited"] and "Full" not in cards["Unlimited"]
    assert "has not opened yet" in cards["Not yet"] and "5 seats" not in cards["Not yet"]
