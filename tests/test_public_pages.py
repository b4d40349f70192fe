"""The public side as one site: a visitor who follows every link from the front door never
meets a sign-in redirect nor the word "CRM", every page carries the public navigation, and
the emails the public receives do not say "CRM" either."""

import re
from collections import deque
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from crm.modelbase import utcnow

pytestmark = pytest.mark.clock  # the outcome depends on today's date

NAVIGATION = ("/events", "/trainings/request", "/volunteer/apply", "/give")
SIGN_IN = "/auth/login"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.title, self._in_title = [], "", False

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.hrefs.append(dict(attrs)["href"])
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def parse(text: str) -> Links:
    links = Links()
    links.feed(text)
    return links


@pytest.fixture
def public_site(db, make_user):
    """An open appeal at /give, an event with seats and one without, a private event."""
    from crm.donations.models import Campaign, CampaignStatus
    from crm.events import services as events

    db.session.add(
        Campaign(
            name="Keep trainings free",
            slug="general",
            goal_cents=500_000,
            currency="USD",
            status=CampaignStatus.ACTIVE,
        )  # fmt: skip
    )
    kind = events.create_event_type("Parent night", None, 60)
    start = utcnow() + timedelta(days=12)
    seated = events.create_event({"title": "Spotting grooming", "type_id": kind.id,
                                  "starts_at": start, "ends_at": start + timedelta(hours=1),
                                  "capacity": 30, "is_public": True})  # fmt: skip
    events.create_event({"title": "Open talk", "type_id": kind.id, "starts_at": start,
                         "ends_at": start + timedelta(hours=2), "is_public": True,
                         "online_url": "https://meet.example.org/x"})  # fmt: skip
    events.create_event({"title": "Staff retreat", "type_id": kind.id, "starts_at": start,
                         "ends_at": start + timedelta(hours=2), "is_public": False})  # fmt: skip
    db.session.commit()
    return seated


def crawl(client, starts: list[str]) -> dict[str, object]:
    """Every same-site page reachable from `starts` by links, except the sign-in page."""
    seen, queue = {}, deque(starts)
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response
        if response.mimetype != "text/html" or response.status_code >= 300:
            continue
        for href in parse(response.text).hrefs:
            path = href.split("#")[0]
            if path.startswith("/") and not path.startswith(("//", "/static/", SIGN_IN)):
                queue.append(path)
    return seen


def test_a_visitor_following_every_public_link_never_meets_sign_in_or_crm(app, client, public_site):
    registered = client.form(
        f"/events/{public_site.id}/register",
        {"first_name": "Ann", "last_name": "Visitor", "email": "ann@example.org"},
    ).location
    starts = ["/", *NAVIGATION, "/give/general", registered, "/events/cancel/not-a-real-link",
              "/trainings/request/thanks", "/volunteer/apply/thanks", "/give/manage/done",
              "/no-such-page"]  # fmt: skip
    pages = crawl(client, starts)
    assert {f"/events/{public_site.id}", f"/events/{public_site.id}.ics"} <= set(pages)
    assert any(url.startswith("/events/cancel/") and "not-a" not in url for url in pages)

    org = app.config["ORG_NAME"]
    for url, response in pages.items():
        assert SIGN_IN not in response.headers.get("Location", ""), url
        assert response.status_code < 400 or url in ("/events/cancel/not-a-real-link",
                                                      "/no-such-page"), url  # fmt: skip
        assert "CRM" not in response.text, url
        if response.mimetype != "text/html":
            continue
        page = parse(response.text)
        assert page.title.strip().endswith(f"· {org}"), url
        for link in NAVIGATION:
            assert f'href="{link}"' in response.text, (url, link)
        # one quiet way in for volunteers and staff, in the footer, and no other
        sign_in = [h for h in page.hrefs if h.startswith(SIGN_IN)]
        assert sign_in == [SIGN_IN], url
        footer = response.text.split("<footer", 1)[1]
        assert "Volunteer and staff sign-in" in footer, url


def test_the_emails_the_public_receives_do_not_say_crm(client, public_site, mail):
    from crm.mail.models import OutboundEmail

    client.form(
        f"/events/{public_site.id}/register",
        {"first_name": "Ann", "last_name": "Visitor", "email": "ann@example.org"},
    )
    start = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT10:00")
    client.form(
        "/trainings/request",
        {"organisation_name": "Lincoln High", "organisation_type": "school",
         "first_name": "Pat", "last_name": "P", "email": "pat@example.org",
         "audience": "students", "estimated_size": "40", "preferred_1": start,
         "place": "1 School Rd"},
    )  # fmt: skip
    client.form(
        "/volunteer/apply",
        {"first_name": "Vera", "last_name": "V", "email": "vera@example.org", "adult": "yes",
         "conduct": "y", "emergency_name": "Victor", "emergency_phone": "(202) 555-0143"},
    )  # fmt: skip
    sent = OutboundEmail.query.all()
    assert {m.to_address for m in sent} == {"ann@example.org", "pat@example.org",
                                            "vera@example.org"}  # fmt: skip
    for message in sent:
        for text in (message.subject, message.text_body, message.html_body or ""):
            assert not re.search(r"\bCRM\b", text), (message.template, text)
        for attachment in message.attachments or []:
            assert "CRM" not in str(attachment), message.template


def test_a_volunteer_invitation_speaks_of_the_volunteer_portal(make_user):
    from crm.auth import services
    from crm.auth.roles import Role
    from crm.mail.models import OutboundEmail

    admin = make_user(Role.ADMIN, name="Ada Admin")
    services.invite_user("vera@example.org", "Vera V", Role.VOLUNTEER, admin)
    services.invite_user("cora@example.org", "Cora C", Role.COORDINATOR, admin)
    volunteer, coordinator = OutboundEmail.query.order_by(OutboundEmail.id).all()
    assert volunteer.subject.endswith("volunteer portal") and "CRM" not in volunteer.text_body
    assert coordinator.subject.endswith("CRM") and "CRM as coordinator" in coordinator.text_body
