"""Who sees what on the dashboard, the lists behind the tiles, and freshness: a gift
confirmed by webhook, a refund and a check-in show on the next page load."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.auth.roles import Role
from crm.dashboard.calendar import local_day
from crm.donations import services
from crm.donations.models import Donation, Frequency
from crm.events import services as events
from crm.events.models import Audience
from crm.events.reach import set_headcounts
from crm.modelbase import utcnow
from tests import stripe_support as ss

pytestmark = pytest.mark.clock  # the outcome depends on today's date

MONEY_URLS = ["/dashboard/lybunt", "/dashboard/lybunt.csv", "/dashboard/sybunt",
              "/dashboard/sybunt.csv", "/dashboard/breakdown?dim=source",
              "/dashboard/breakdown.csv", "/dashboard/series.csv"]  # fmt: skip


@pytest.fixture
def some_money(db, gift, make_campaign):
    campaign = make_campaign(name="Spring appeal", goal_cents=500_000)
    gift(amount_cents=123_456, campaign=campaign, fee_cents=1234, source="letter")
    return campaign


def test_volunteers_get_no_dashboard(client, make_user):
    client.login_as(make_user(Role.VOLUNTEER))
    for url in ["/dashboard", "/dashboard/events", *MONEY_URLS]:
        assert client.get(url).status_code == 403, url


def test_coordinators_see_events_and_no_money(client, make_user, some_money):
    client.login_as(make_user(Role.COORDINATOR))
    page = client.get("/dashboard?period=fy")
    assert page.status_code == 200
    # Campaign names stay (events belong to campaigns too); no amount, goal or donor does.
    for absent in ("$", "1,234", "Raised", "Donors", "Monthly recurring", "goal", "LYBUNT"):
        assert absent not in page.text, absent
    assert "Events and trainings" in page.text and "People reached" in page.text
    for url in MONEY_URLS:
        assert client.get(url).status_code == 403, url
    assert client.get("/dashboard/events.csv").status_code == 200


@pytest.mark.parametrize("role", [Role.FUNDRAISER, Role.ADMIN])
def test_fundraisers_and_admins_see_everything(client, make_user, some_money, role):
    client.login_as(make_user(role))
    page = client.get("/dashboard?period=fy").text
    for present in ("Campaigns against goal", "$1,234.56", "Spring appeal", "Donors", "LYBUNT",
                    "Monthly giving", "Top funds", "Top appeals and sources", "People reached",
                    "Gifts over time", "<svg", "Table of the figures"):  # fmt: skip
        assert present in page, present
    for url in MONEY_URLS:
        assert client.get(url).status_code == 200, url
    assert "letter" in client.get("/dashboard/breakdown.csv?dim=source&period=fy").text


def test_every_period_and_grain_renders(client, make_user, some_money):
    client.login_as(make_user(Role.ADMIN))
    for query in ("period=month", "period=fy&by=week", "period=last_fy",
                  "period=custom&from=2020-02-03&to=2026-05-17&by=month",
                  "period=custom&from=bad&to=2026-01-01", f"campaign={some_money.id}",
                  "campaign=999999"):  # fmt: skip
        assert client.get(f"/dashboard?{query}").status_code == 200, query


def test_navigation_shows_the_dashboard_to_staff_only(client, make_user):
    client.login_as(make_user(Role.COORDINATOR))
    assert 'href="/dashboard"' in client.get("/").text
    volunteer = client.application.test_client()
    volunteer.login_as(make_user(Role.VOLUNTEER))
    assert 'href="/dashboard"' not in volunteer.get("/").text


# --- freshness --------------------------------------------------------------------------


def raised(client) -> str:
    page = client.get("/dashboard?period=month").text
    return page.split("<dt>Gross</dt><dd>", 1)[1].split("</dd>", 1)[0]


def test_webhook_gift_and_refund_show_on_the_next_load(client, make_user, make_campaign):
    campaign = make_campaign(slug="spring")
    client.login_as(make_user(Role.FUNDRAISER))
    assert raised(client) == "$0.00"
    intent = services.create_intent(
        campaign, {"frequency": Frequency.ONE_TIME, "amount_cents": 5000, "first_name": "Dana",
                   "last_name": "Donor", "email": "dana@example.org"},
    )  # fmt: skip
    client.application.extensions["sqlalchemy"].session.commit()
    session = ss.checkout_session(intent, payment_intent="pi_fresh1")
    assert ss.deliver(client, ss.event("checkout.session.completed", session)).status_code == 200
    assert raised(client) == "$50.00"
    page = client.get("/dashboard?period=month").text
    assert "<dt>Donors</dt><dd>1</dd>" in page and "<dt>New</dt><dd>1</dd>" in page
    refund = ss.refund("ch_fresh1", "pi_fresh1", 2000)
    charge = ss.charge("pi_fresh1", 5000, amount_refunded=2000, refunds=[refund], id="ch_fresh1")
    assert ss.deliver(client, ss.event("charge.refunded", charge)).status_code == 200
    page = client.get("/dashboard?period=month").text
    assert "<dt>Refunded</dt><dd>$20.00</dd>" in page


def test_check_in_and_headcounts_show_on_the_next_load(client, db, make_user):
    client.login_as(make_user(Role.COORDINATOR))
    kind = events.create_event_type("Educator training", None, 60)
    start = utcnow() + timedelta(hours=1)
    event = events.create_event({"title": "Teachers", "type_id": kind.id, "starts_at": start,
                                 "ends_at": start + timedelta(hours=1),
                                 "is_public": True})  # fmt: skip
    registration, _ = events.register(event.id, events.Registrant("Ada", "L", "ada@example.org"))
    db.session.commit()
    event.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    page = client.get("/dashboard?period=month").text
    assert "<dt>Trainings delivered</dt><dd>1</dd>" in page
    assert "0 <span" in page  # nobody reached yet
    response = client.form(f"/manage/events/{event.id}/check-in/{registration.id}")
    assert response.status_code in (200, 302)
    set_headcounts(db.session.get(type(event), event.id), {Audience.STUDENTS: 30})
    db.session.commit()
    page = client.get("/dashboard?period=month").text
    assert "31 <span" in page
    assert "Students" in page and "Registrants" in page


def test_events_list_and_export(client, db, make_user):
    client.login_as(make_user(Role.FUNDRAISER))
    kind = events.create_event_type("School presentation", None, 60)
    start = utcnow() - timedelta(hours=3)
    event = events.create_event({"title": "Assembly", "type_id": kind.id, "starts_at": start,
                                 "ends_at": start + timedelta(hours=1),
                                 "is_public": True})  # fmt: skip
    set_headcounts(event, {Audience.STUDENTS: 200})
    db.session.commit()
    day = local_day(start)  # three hours ago may be yesterday, or last month
    query = f"period=custom&from={day}&to={day}"
    assert "Assembly" in client.get(f"/dashboard/events?{query}").text
    export = client.get(f"/dashboard/events.csv?{query}").text
    assert "Assembly" in export and ",200," in export
    assert db.session.scalars(select(Donation)).first() is None
