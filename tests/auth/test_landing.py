"""Where each kind of user starts: after signing in, at the home page, and at the addresses
people guess for the sign-in page."""

import pytest

from crm.auth.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.clock  # the outcome depends on today's date


@pytest.mark.parametrize(
    "role, landing",
    [
        (Role.ADMIN, "/"),
        (Role.FUNDRAISER, "/"),
        (Role.COORDINATOR, "/"),
        (Role.VOLUNTEER, "/my/volunteering"),
    ],
)
def test_each_role_lands_on_a_page_of_its_own_after_sign_in(client, make_user, role, landing):
    user = make_user(role)
    assert client.login(user).location == landing
    page = client.get(landing)
    assert page.status_code == 200
    assert "will be here" not in page.text


def test_a_volunteer_at_the_home_page_goes_to_the_portal(client, make_user):
    client.login_as(make_user(Role.VOLUNTEER))
    response = client.get("/")
    assert response.status_code == 302 and response.location == "/my/volunteering"
    portal = client.get("/my/volunteering").text
    assert "My volunteering" in portal and "CRM" not in portal
    navigation = portal.split("</nav>")[0]
    assert 'href="/my/volunteering"' in navigation and ">Home</a>" not in navigation


def test_staff_see_the_staff_home_page(client, make_user, make_contact):
    make_contact(first_name="Pat")
    client.login_as(make_user(Role.COORDINATOR))
    page = client.get("/")
    assert page.status_code == 200 and "Find a contact" in page.text
    assert "· Protect Our Children CRM</title>" in page.text


def test_visitors_at_the_home_page_see_the_front_door_not_a_sign_in_form(client, db):
    from datetime import timedelta

    from crm.events import services as events
    from crm.modelbase import utcnow

    kind = events.create_event_type("Parent night", None, 60)
    start = utcnow() + timedelta(days=3)
    for title, public in (("Spotting grooming", True), ("Staff retreat", False)):
        end = start + timedelta(hours=1)
        events.create_event({"title": title, "type_id": kind.id, "starts_at": start,
                             "ends_at": end, "is_public": public})  # fmt: skip
    db.session.commit()
    page = client.get("/")
    assert "Coming up" in page.text and "Spotting grooming" in page.text
    assert "Staff retreat" not in page.text
    assert page.status_code == 200
    for link in ("/events", "/trainings/request", "/volunteer/apply", "/give"):
        assert f'href="{link}"' in page.text
    assert "CRM" not in page.text and 'name="password"' not in page.text


def test_an_admin_who_must_set_up_two_factor_is_sent_there_from_home(
    app, client, make_user, monkeypatch
):
    monkeypatch.setitem(app.config, "REQUIRE_ADMIN_2FA", True)
    client.login(make_user(Role.ADMIN))
    response = client.get("/")
    assert response.status_code == 302 and response.location == "/account/two-factor"


@pytest.mark.parametrize("alias", ["/login", "/signin", "/admin"])
def test_guessed_sign_in_addresses_lead_to_sign_in_keeping_a_safe_next(client, alias):
    assert client.get(alias).location == "/auth/login"
    kept = client.get(f"{alias}?next=/contacts/%3Fq%3Dx")
    assert kept.status_code == 302 and kept.location == "/auth/login?next=/contacts/?q%3Dx"
    for unsafe in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert client.get(alias, query_string={"next": unsafe}).location == "/auth/login"


def test_the_next_kept_by_an_alias_is_followed_after_sign_in(client, make_user):
    user = make_user(Role.FUNDRAISER)
    login_url = client.get("/login?next=/contacts/").location
    response = client.form(login_url, {"email": user.email, "password": PASSWORD})
    assert response.location == "/contacts/"


def test_signed_in_people_at_the_sign_in_page_go_on_to_their_page(client, make_user):
    client.login_as(make_user(Role.VOLUNTEER))
    assert client.get("/auth/login").location == "/my/volunteering"
    assert client.get("/login?next=/my/volunteering/hours").location.startswith("/auth/login")
    assert client.get("/auth/login?next=/my/volunteering/hours").location == (
        "/my/volunteering/hours"
    )
    assert client.get("/auth/login?next=//evil.example/").location == "/my/volunteering"
