"""The development test checkout: with no Stripe key, /give leads to a labelled test page whose
completion goes through the real signed-webhook path (stored event, gift, receipt email,
dashboard); it never reaches Stripe, and the production configuration refuses it."""

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from config import DEV_WEBHOOK_SECRET
from crm.auth.roles import Role
from crm.donations.models import (
    Donation,
    DonationIntent,
    DonationStatus,
    IntentStatus,
    PlanStatus,
    Receipt,
    RecurringPlan,
    StripeEvent,
    StripeEventStatus,
)
from crm.payments import dev_events
from tests.donations.giving_support import (  # noqa: F401 - fixtures
    checkout_stub_fixture,
    stripe_checkout_fixture,
)
from tests.donations.test_giving import DONOR, text_of

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def dev_mode(app, monkeypatch, stripe_checkout):
    """The app as DevelopmentConfig has it without Stripe keys; the Checkout stub records
    anything the SDK would have sent to Stripe (nothing, we assert)."""
    monkeypatch.setitem(app.config, "DEV_CHECKOUT", True)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET)
    yield stripe_checkout
    assert stripe_checkout.requests == []


@pytest.fixture
def campaign(make_campaign):
    return make_campaign(name="Spring appeal", slug="spring", goal_cents=1_000_000)


def give(client, **fields):
    return client.form("/give/spring", {"campaign": "spring", "amount": "5000", **DONOR, **fields})


def complete(client, checkout_url):
    assert client.get(checkout_url).status_code == 200
    return client.form(checkout_url)


def test_a_one_time_gift_goes_from_give_to_a_receipt_and_the_dashboard(
    client, db, dev_mode, campaign, mail, make_user
):
    form = client.get("/give/spring")
    assert "Continue to the test checkout" in form.text
    assert "no Stripe key is set" in text_of(form)
    response = give(client, cover_fee="y")
    assert response.status_code == 303
    intent = db.session.scalar(select(DonationIntent))
    assert response.headers["Location"] == f"/give/test-checkout/{intent.public_id}"
    assert intent.stripe_checkout_session_id == f"cs_devtest_{intent.public_id}"

    page = client.get(response.headers["Location"])
    words = text_of(page)
    assert "Test checkout — development only" in words and "no money moves" in words
    assert page.headers["Cache-Control"] == "no-store"
    assert f"Complete the test payment of ${intent.total_cents / 100:,.2f}" in words

    done = complete(client, response.headers["Location"])
    assert done.status_code == 303
    assert done.headers["Location"].endswith(
        f"/give/thanks/{intent.public_id}?session_id=cs_devtest_{intent.public_id}"
    )
    thanks = text_of(client.get(done.headers["Location"]))
    assert "Thank you, Ada!" in thanks

    # The real webhook stored and handled the signed event.
    (event,) = db.session.scalars(select(StripeEvent)).all()
    assert (event.type, event.status) == ("checkout.session.completed", StripeEventStatus.PROCESSED)
    gift = db.session.scalar(select(Donation))
    fee = round(intent.total_cents * 220 / 10_000) + 30
    assert (gift.amount_cents, gift.covered_fee_cents, gift.fee_cents, gift.status) == (
        intent.total_cents, intent.covered_fee_cents, fee, DonationStatus.SUCCEEDED,
    )  # fmt: skip
    assert gift.stripe_payment_intent_id == f"pi_devtest_{intent.public_id}"
    receipt = db.session.scalar(select(Receipt))
    (message,) = mail.to("ada@example.org")
    assert receipt.number in message.get_body(("plain",)).get_content()

    client.login_as(make_user(Role.FUNDRAISER))
    dashboard = client.get(f"/dashboard?period=month&campaign={campaign.id}").text
    assert f"<dt>Gross</dt><dd>${intent.total_cents / 100:,.2f}</dd>" in dashboard
    assert f"<dt>Fees</dt><dd>${fee / 100:,.2f}</dd>" in dashboard


def test_completing_twice_records_one_gift(client, db, dev_mode, campaign):
    url = give(client).headers["Location"]
    assert complete(client, url).status_code == 303
    # the browser's back button and a second click: the same events, stored once
    assert client.form(url).status_code == 303
    assert db.session.scalar(select(func.count(Donation.id))) == 1
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 1
    # and the page itself now leads to the thank-you page
    assert "/give/thanks/" in client.get(url).headers["Location"]


def test_a_monthly_gift_sets_up_the_plan_and_its_first_instalment(
    client, db, dev_mode, campaign, mail
):
    url = give(client, frequency="monthly", amount="2500").headers["Location"]
    assert "a month" in text_of(client.get(url))
    assert complete(client, url).status_code == 303
    plan = db.session.scalar(select(RecurringPlan))
    assert (plan.status, plan.amount_cents) == (PlanStatus.ACTIVE, 2500)
    (gift,) = db.session.scalars(select(Donation)).all()
    assert (gift.recurring_plan_id, gift.amount_cents, gift.campaign_id) == (
        plan.id, 2500, campaign.id,
    )  # fmt: skip
    types = sorted(db.session.scalars(select(StripeEvent.type)))
    assert types == ["checkout.session.completed", "invoice.paid"]
    assert len(mail.to("ada@example.org")) == 1  # the receipt of the first instalment
    assert db.session.get(DonationIntent, plan.intent_id).status == IntentStatus.COMPLETED


def test_without_the_test_checkout_there_is_no_such_page(client, db, campaign, monkeypatch, app):
    monkeypatch.setitem(app.config, "DEV_CHECKOUT", True)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET)
    url = give(client).headers["Location"]
    monkeypatch.setitem(app.config, "DEV_CHECKOUT", False)  # as in testing and production
    assert client.get(url).status_code == 404
    assert client.form(url).status_code == 404
    assert db.session.scalar(select(func.count(Donation.id))) == 0


def test_an_intent_that_went_to_stripe_has_no_test_page(client, db, dev_mode, campaign):
    give(client)
    intent = db.session.scalar(select(DonationIntent))
    intent.stripe_checkout_session_id = "cs_test_real"
    db.session.commit()
    assert client.get(f"/give/test-checkout/{intent.public_id}").status_code == 404


def test_the_form_needs_its_csrf_token(client, db, dev_mode, campaign):
    url = give(client).headers["Location"]
    assert client.post(url, data={}).status_code == 400
    assert db.session.scalar(select(func.count(Donation.id))) == 0


def test_events_signed_with_the_development_secret_are_refused_elsewhere(client, db, campaign):
    """The testing (like the production) webhook has a secret of its own: a test event is
    refused as forged, and nothing is written."""
    give_intent = DonationIntent(campaign=campaign, frequency="one_time", amount_cents=5000,
                                 currency="USD", first_name="Eve", last_name="Forger",
                                 email="eve@example.org")  # fmt: skip
    db.session.add(give_intent)
    db.session.commit()
    from crm.payments.checkout import CheckoutRequest

    request = CheckoutRequest(give_intent.public_id, 5000, "USD", False, "Gift", "eve@example.org",
                              "http://localhost/thanks", "http://localhost/give")  # fmt: skip
    (event,) = dev_events.completed_events(request, "Eve Forger", 140)
    body, signature = dev_events.signed(event, DEV_WEBHOOK_SECRET)
    response = client.post("/webhooks/stripe", data=body,
                           headers={"Stripe-Signature": signature})  # fmt: skip
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0


def _config(env: dict, expression: str):
    """A configuration value as a fresh process reads it from its environment."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DEV_CHECKOUT", "PORT",
                          "FLASK_RUN_PORT", "BASE_URL")}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", f"import json, config; print(json.dumps({expression}))"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out)


def test_development_offers_it_only_without_stripe_keys():
    expression = (
        "[config.DevelopmentConfig.DEV_CHECKOUT, config.DevelopmentConfig.STRIPE_WEBHOOK_SECRET]"
    )
    assert _config({}, expression) == [True, DEV_WEBHOOK_SECRET]
    assert _config({"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"},
                   expression) == [False, "whsec_x"]  # fmt: skip
    assert _config({"DEV_CHECKOUT": "0"}, expression) == [False, None]
    assert _config(
        {}, "[config.TestingConfig.DEV_CHECKOUT, config.ProductionConfig.DEV_CHECKOUT]"
    ) == [False, False]


def test_links_in_emails_follow_the_port():
    expression = "config.DevelopmentConfig.BASE_URL"
    assert _config({}, expression) == "http://127.0.0.1:5000"
    assert _config({"PORT": "8000"}, expression) == "http://127.0.0.1:8000"
    assert _config({"FLASK_RUN_PORT": "8001"}, expression) == "http://127.0.0.1:8001"
    assert _config({"PORT": "8000", "BASE_URL": "https://crm.example.org"}, expression) == (
        "https://crm.example.org"
    )
