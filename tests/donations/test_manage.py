"""The emailed "manage my monthly gift" link opens Stripe's customer portal."""

import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from crm.donations.manage import SALT, manage_url
from tests.donations.giving_support import checkout_stub_fixture, stripe_checkout_fixture  # noqa: F401


@pytest.fixture
def donor(make_contact, db):
    contact = make_contact(email="monthly@example.org")
    contact.stripe_customer_id = "cus_monthly"
    db.session.commit()
    return contact


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_the_link_opens_a_portal_session_for_that_customer(app, client, donor, stripe_checkout):
    with app.test_request_context():
        link = path_of(manage_url(donor))
    response = client.get(link)
    assert response.status_code == 303
    assert response.location.startswith("https://billing.stripe.com/p/session/")
    (sent,) = stripe_checkout.requests
    assert sent["path"] == "/v1/billing_portal/sessions"
    assert sent["form"]["customer"] == "cus_monthly"
    assert sent["form"]["return_url"].endswith("/give/manage/done")


def test_a_tampered_or_foreign_link_is_404(app, client, donor, stripe_checkout):
    with app.test_request_context():
        link = path_of(manage_url(donor))
    assert client.get(link[:-3] + "xyz").status_code == 404
    forged = URLSafeTimedSerializer("another key", salt=SALT).dumps(
        {"contact": donor.id, "customer": "cus_monthly"}
    )
    assert client.get(f"/give/manage/{forged}").status_code == 404
    assert stripe_checkout.requests == []


def test_a_link_for_a_customer_the_contact_no_longer_has_is_404(app, client, donor, db):
    with app.test_request_context():
        link = path_of(manage_url(donor))
    donor.stripe_customer_id = "cus_other"
    db.session.commit()
    assert client.get(link).status_code == 404


def test_an_expired_link_explains_itself(app, client, donor, monkeypatch):
    import crm.donations.manage as manage

    with app.test_request_context():
        link = path_of(manage_url(donor))
    monkeypatch.setattr(manage, "MAX_AGE", -1)
    response = client.get(link)
    assert response.status_code == 410
    assert "expired" in response.text


def test_stripe_down_shows_a_friendly_page(app, client, donor, stripe_checkout):
    with app.test_request_context():
        link = path_of(manage_url(donor))
    stripe_checkout.fail_next()
    response = client.get(link)
    assert response.status_code == 503
    assert "Nothing has changed" in response.text
