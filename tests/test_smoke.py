import pytest

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def test_login_and_search(signed_in, make_contact):
    client, _ = signed_in("fundraiser")
    make_contact(first_name="José", last_name="Núñez", email="jose@example.com")
    response = client.get("/contacts/?q=NUNEZ")
    assert response.status_code == 200
    assert "Núñez" in response.text


def test_a_visitor_goes_from_the_front_door_to_a_registration(client, db):
    from datetime import timedelta

    from crm.events import services as events
    from crm.modelbase import utcnow

    kind = events.create_event_type("Parent night", None, 60)
    start = utcnow() + timedelta(days=7)
    event = events.create_event({"title": "Spotting grooming", "type_id": kind.id,
                                 "starts_at": start, "ends_at": start + timedelta(hours=1),
                                 "capacity": 20, "is_public": True})  # fmt: skip
    db.session.commit()
    assert 'href="/events"' in client.get("/").text
    assert "20 seats left" in client.get("/events").text
    response = client.form(
        f"/events/{event.id}/register",
        {"first_name": "Ann", "last_name": "Early", "email": "ann@example.org"},
    )
    confirmation = client.get(response.location)
    assert "You are registered" in confirmation.text
    assert f'href="/events/{event.id}.ics"' in confirmation.text


def test_a_volunteer_signs_in_to_the_portal(client, make_user):
    volunteer = make_user("volunteer")
    response = client.login(volunteer)
    assert response.location == "/my/volunteering"
    assert "My volunteering" in client.get(response.location).text
