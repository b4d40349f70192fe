"""The public giving page and the hand-off to Stripe Checkout, with what the real SDK sends
recorded by a stub Checkout API on loopback (localstripe has no Checkout Sessions)."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from crm.auth.access import PUBLIC
from crm.donations import giving
from crm.donations.models import (
    CampaignStatus,
    Donation,
    DonationIntent,
    DonationStatus,
    Frequency,
    IntentStatus,
)
from crm.donations.public_forms import AmountError, display_money, parse_amount
from crm.donations.services import fee_to_cover
from crm.mail.models import OutboundEmail
from crm.modelbase import utcnow
from crm.payments.payloads import INTENT_METADATA_KEY
from tests.donations.giving_support import (  # noqa: F401 - fixtures
    checkout_completed,
    checkout_stub_fixture,
    signed,
    stripe_checkout_fixture,
)

pytestmark = pytest.mark.clock  # the outcome depends on today's date

DONOR = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.org",
    "frequency": "one_time",
}


@pytest.fixture
def campaign(make_campaign, make_fund):
    fund = make_fund("Prevention training")
    return make_campaign(slug="spring", name="Spring appeal", goal_cents=1_000_000,
                         default_fund=fund)  # fmt: skip


def give(client, slug="spring", query="", **fields):
    data = {"campaign": slug, **DONOR, **fields}
    return client.form(f"/give/{slug}{query}", {k: v for k, v in data.items() if v is not None})


def intent_count(db) -> int:
    count = db.session.scalar(select(func.count()).select_from(DonationIntent))
    db.session.rollback()
    return count


def only_intent(db) -> DonationIntent:
    return db.session.scalars(select(DonationIntent)).one()


def only_request(stub) -> dict:
    (request,) = stub.requests
    return request


def text_of(response) -> str:
    """The page's visible words on one line, for phrases broken across template lines."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


# --- what the page shows -----------------------------------------------------------------------


def test_giving_routes_are_public(app):
    for endpoint in ("give", "give_default", "give_thanks", "give_status"):
        assert app.view_functions[f"donations.{endpoint}"].access == PUBLIC


def test_page_offers_presets_fee_cover_and_keeps_the_source(client, campaign):
    response = client.get("/give/spring?source=spring-letter")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = text_of(response)
    assert "Spring appeal" in page
    for preset in ("$25", "$50", "$100", "$250"):
        assert re.search(rf'value="{int(preset[1:]) * 100}"', response.text)
        assert preset in page
    assert f"adds {display_money(fee_to_cover(2500), 'USD')} to a $25 gift" in page
    assert "$0.87" in page  # 2500 -> ceil((2500 + 30) / 0.978) - 2500 = 87
    assert 'name="source" type="hidden" value="spring-letter"' in response.text
    assert 'name="campaign" type="hidden" value="spring"' in response.text


def test_a_source_we_cannot_use_is_dropped_quietly(client, campaign):
    response = client.get("/give/spring?source=" + "x" * 61)
    assert 'name="source" type="hidden" value=""' in response.text
    assert "alert-danger" not in response.text


def test_thermometer_counts_confirmed_gifts_only(client, campaign, make_campaign, make_donation,
                                                 make_contact):  # fmt: skip
    ada, grace = make_contact(email="ada@example.org"), make_contact(email="grace@example.org")
    make_donation(contact=ada, campaign=campaign, amount_cents=10_000)
    make_donation(contact=ada, campaign=campaign, amount_cents=5_000)
    make_donation(contact=grace, campaign=campaign, amount_cents=20_000, refunded_cents=5_000,
                  status=DonationStatus.PARTIALLY_REFUNDED)  # fmt: skip
    make_donation(contact=grace, campaign=campaign, amount_cents=7_000,
                  status=DonationStatus.FAILED)  # fmt: skip
    make_donation(contact=grace, campaign=make_campaign(), amount_cents=9_900)
    page = text_of(client.get("/give/spring"))
    assert "$300 raised of our $10,000 goal" in page
    assert "3% of the goal · 2 donors" in page
    assert re.search(
        r'<progress class="give-bar" max="100" value="3"', client.get("/give/spring").text
    )


def test_default_page_is_the_configured_campaign(client, make_campaign, app):
    make_campaign(slug=app.config["DEFAULT_CAMPAIGN_SLUG"], name="Where most needed")
    response = client.get("/give?source=newsletter")
    assert response.status_code == 200
    assert "Where most needed" in response.text
    assert f'action="/give/{app.config["DEFAULT_CAMPAIGN_SLUG"]}"' in response.text
    assert 'value="newsletter"' in response.text


def test_unknown_campaign_is_not_found(client, stripe_checkout, db):
    assert client.get("/give/no-such-campaign").status_code == 404
    assert give(client, slug="no-such-campaign", amount="2500").status_code == 404
    assert client.get("/give").status_code == 404  # no campaign has the default slug
    assert intent_count(db) == 0
    assert stripe_checkout.requests == []


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"status": CampaignStatus.DRAFT}, "not taking gifts right now"),
        ({"status": CampaignStatus.CLOSED}, "It has ended"),
        ({"ends_on": utcnow().date() - timedelta(days=2)}, "It has ended"),
        ({"starts_on": utcnow().date() + timedelta(days=2)}, "It opens on"),
    ],
    ids=["draft", "closed", "ended", "not-started"],
)
def test_campaign_not_taking_gifts_shows_no_form_and_takes_nothing(
    client, make_campaign, stripe_checkout, db, fields, words
):
    make_campaign(slug="spring", **fields)
    response = client.get("/give/spring")
    assert response.status_code == 200
    assert "not taking gifts right now" in response.text
    assert words in response.text
    assert "<form" not in response.text
    response = give(client, amount="2500")
    assert "not taking gifts right now" in response.text
    assert intent_count(db) == 0
    assert stripe_checkout.requests == []


# --- the hand-off to Stripe Checkout -------------------------------------------------------------


def test_one_time_gift_hands_off_to_checkout(client, campaign, stripe_checkout, db):
    response = give(client, amount="5000", query="?source=ignored-on-post", source="spring-letter",
                    comment="For the school programme", anonymous="y")  # fmt: skip

    intent = only_intent(db)
    request = only_request(stripe_checkout)
    session = request["response"]
    assert response.status_code == 303
    assert response.headers["Location"] == session["url"]
    assert session["url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert intent.status == IntentStatus.CHECKOUT
    assert intent.stripe_checkout_session_id == session["id"]
    assert (intent.amount_cents, intent.covered_fee_cents, intent.currency) == (5000, 0, "USD")
    assert intent.frequency == Frequency.ONE_TIME
    assert (intent.source, intent.comment, intent.anonymous) == (
        "spring-letter", "For the school programme", True
    )  # fmt: skip
    assert intent.fund_id == campaign.default_fund_id

    assert request["path"] == "/v1/checkout/sessions"
    assert request["headers"]["idempotency-key"] == f"intent-{intent.public_id}"
    assert request["headers"]["authorization"] == "Bearer sk_test_dummy"
    sent = request["form"]
    assert sent["mode"] == "payment"
    assert sent["submit_type"] == "donate"
    assert sent["line_items[0][quantity]"] == "1"
    assert sent["line_items[0][price_data][unit_amount]"] == "5000"
    assert sent["line_items[0][price_data][currency]"] == "usd"
    assert "Spring appeal" in sent["line_items[0][price_data][product_data][name]"]
    assert "line_items[0][price_data][recurring][interval]" not in sent
    assert sent["client_reference_id"] == intent.public_id
    assert sent[f"metadata[{INTENT_METADATA_KEY}]"] == intent.public_id
    assert sent[f"payment_intent_data[metadata][{INTENT_METADATA_KEY}]"] == intent.public_id
    assert sent["customer_email"] == "ada@example.org"
    assert sent["success_url"] == (
        f"http://localhost/give/thanks/{intent.public_id}?session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert sent["cancel_url"] == f"http://localhost/give/spring?intent={intent.public_id}"


def test_monthly_gift_with_fee_cover_is_a_subscription_for_the_total(
    client, campaign, stripe_checkout, db
):
    response = give(client, amount="other", other_amount="$1,000.5", frequency="monthly",
                    cover_fee="y")  # fmt: skip

    assert response.status_code == 303
    intent = only_intent(db)
    fee = fee_to_cover(100_050)
    assert fee == 2282  # ceil((100050 + 30) / 0.978) - 100050
    assert (intent.amount_cents, intent.covered_fee_cents) == (100_050, fee)
    assert intent.frequency == Frequency.MONTHLY
    request = only_request(stripe_checkout)
    sent = request["form"]
    assert sent["mode"] == "subscription"
    assert "submit_type" not in sent
    assert sent["line_items[0][price_data][unit_amount]"] == str(100_050 + fee)
    assert sent["line_items[0][price_data][recurring][interval]"] == "month"
    assert sent[f"subscription_data[metadata][{INTENT_METADATA_KEY}]"] == intent.public_id
    assert sent[f"metadata[{INTENT_METADATA_KEY}]"] == intent.public_id
    assert sent["client_reference_id"] == intent.public_id
    assert "payment_intent_data[metadata][intent_id]" not in sent
    assert request["headers"]["idempotency-key"] == f"intent-{intent.public_id}"


@pytest.mark.parametrize(
    "fields, cents",
    [
        ({"amount": "2500"}, 2500),
        ({"amount": "other", "other_amount": "25"}, 2500),
        ({"other_amount": "25.5"}, 2550),  # no JavaScript: nothing ticked, an amount typed
        ({"amount": "other", "other_amount": "25.50"}, 2550),
        ({"amount": "other", "other_amount": "$1,000"}, 100_000),
        ({"amount": "other", "other_amount": " 5 "}, 500),
        ({"amount": "other", "other_amount": "25000.00"}, 2_500_000),
    ],
)
def test_amounts_in_the_forms_people_type(client, campaign, stripe_checkout, db, fields, cents):
    response = give(client, cover_fee=None, **fields)
    assert response.status_code == 303, text_of(response)
    assert only_intent(db).amount_cents == cents
    assert only_request(stripe_checkout)["form"]["line_items[0][price_data][unit_amount]"] == str(
        cents
    )


def test_fee_cover_on_a_preset_adds_what_the_page_promised(client, campaign, stripe_checkout, db):
    give(client, amount="2500", cover_fee="y")
    sent = only_request(stripe_checkout)["form"]
    assert sent["line_items[0][price_data][unit_amount]"] == "2587"
    assert only_intent(db).total_cents == 2587


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"amount": "other", "other_amount": "-5"}, "Enter an amount above zero."),
        ({"amount": "other", "other_amount": "ten"}, "Enter the amount in numbers"),
        ({"amount": "other", "other_amount": "1,00"}, "Enter the amount in numbers"),
        ({"amount": "other", "other_amount": "25.505"}, "Use at most 2 decimal places"),
        ({"amount": "other", "other_amount": "4.99"}, "The smallest gift we can take online is $5"),
        ({"amount": "other", "other_amount": "0"}, "The smallest gift we can take online is $5."),
        ({"amount": "other", "other_amount": "25000.01"},
         "The largest gift we can take online is $25,000."),
        ({"amount": "other", "other_amount": "9" * 40}, "Enter the amount in numbers"),
        ({"amount": "other", "other_amount": ""}, "Enter the amount you want to give."),
        ({}, "Choose an amount or enter another amount."),
        ({"amount": "2500", "other_amount": "30"}, "You also chose a set amount."),
        ({"amount": "1234"}, "Choose one of the amounts shown"),  # not a preset: tampered
        ({"amount": "2500", "email": "not-an-email"}, "Email"),
        ({"amount": "2500", "first_name": ""}, "First name"),
        ({"amount": "2500", "tribute_type": "honour"}, "Enter the name of the person"),
        ({"amount": "2500", "tribute_name": "Grandma"}, "Choose “In honour” or “In memory”"),
        ({"amount": "2500", "comment": "x" * 1001}, "Comment"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_clear_error_and_no_charge(
    client, campaign, stripe_checkout, db, fields, message
):
    response = give(client, **fields)
    assert response.status_code == 200
    assert "Please correct" in response.text
    assert message in text_of(response)
    assert 'value="Ada"' in response.text or fields.get("first_name") == ""  # the form is kept
    assert intent_count(db) == 0
    assert stripe_checkout.requests == []


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"campaign": "another-campaign"}, "This form was changed after it left our site."),
        ({"source": "x" * 61}, "This form was changed after it left our site."),
        ({"source": "<script>"}, "This form was changed after it left our site."),
        ({"frequency": "weekly"}, "Choose one time or monthly."),
        ({"tribute_type": "friend", "tribute_name": "X"}, "Choose in honour, in memory"),
        ({"amount": "-2500"}, "Choose one of the amounts shown"),
    ],
)
def test_tampered_hidden_fields_are_refused_and_nothing_is_charged(
    client, campaign, stripe_checkout, db, fields, message
):
    response = give(client, **{"amount": "2500", **fields})
    assert response.status_code == 200
    assert message in text_of(response)
    assert intent_count(db) == 0
    assert stripe_checkout.requests == []
    # The page comes back usable: the bad value is not sent again.
    assert 'name="campaign" type="hidden" value="spring"' in response.text
    assert 'value="weekly"' not in response.text


def test_stripe_error_keeps_the_form_and_writes_nothing(client, campaign, stripe_checkout, db):
    stripe_checkout.fail_next()
    response = give(client, amount="other", other_amount="42", tribute_type="memory",
                    tribute_name="Grandma Rose")  # fmt: skip
    assert response.status_code == 200
    assert "We could not reach our payment processor, so nothing was charged." in response.text
    assert (
        "cannot currently make live charges" not in response.text
    )  # Stripe's words stay in the log
    assert 'value="42"' in response.text and 'value="Grandma Rose"' in response.text
    assert len(stripe_checkout.requests) == 1
    assert intent_count(db) == 0

    assert give(client, amount="other", other_amount="42").status_code == 303  # Stripe is back
    assert intent_count(db) == 1


def test_cancel_returns_to_the_filled_form(client, campaign, stripe_checkout, db):
    give(client, amount="other", other_amount="42.50", frequency="monthly", cover_fee="y",
         tribute_type="honour", tribute_name="Ms Okafor", tribute_notify_email="okafor@example.org",
         comment="Thank you", source="spring-letter")  # fmt: skip
    cancel_url = only_request(stripe_checkout)["form"]["cancel_url"]
    path = urlsplit(cancel_url)
    response = client.get(f"{path.path}?{path.query}")
    html = response.text
    assert response.status_code == 200
    assert re.search(r'<input checked[^>]*name="amount" type="radio" value="other"', html)
    assert 'value="42.50"' in html
    assert re.search(r'<input checked[^>]*value="monthly"', html)
    assert re.search(r'<input[^>]* checked[^>]*id="cover_fee"', html)
    assert re.search(r'<input checked[^>]*value="honour"', html)
    for value in ("Ada", "Lovelace", "ada@example.org", "Ms Okafor", "okafor@example.org",
                  "spring-letter"):  # fmt: skip
        assert f'value="{value}"' in html
    assert "Thank you</textarea>" in html


def test_cancel_link_of_a_completed_or_foreign_gift_restores_nothing(
    client, campaign, make_campaign, stripe_checkout, db
):
    give(client, amount="5000")
    intent = only_intent(db)
    intent.status = IntentStatus.COMPLETED
    db.session.commit()
    assert 'value="Ada"' not in client.get(f"/give/spring?intent={intent.public_id}").text
    make_campaign(slug="other")
    intent.status = IntentStatus.CHECKOUT
    db.session.commit()
    assert 'value="Ada"' not in client.get(f"/give/other?intent={intent.public_id}").text
    assert 'value="Ada"' not in client.get("/give/spring?intent=%27%20OR%201=1").text


def test_the_same_intent_opens_one_session_however_often_it_is_sent(
    app, campaign, stripe_checkout, db
):
    from crm.donations.services import create_intent
    from crm.payments.checkout import create_checkout_session

    intent = create_intent(campaign, {**DONOR, "frequency": Frequency.ONE_TIME,
                                      "amount_cents": 2500})  # fmt: skip
    with app.test_request_context():
        request = giving.checkout_request(intent)
        first, again = create_checkout_session(request), create_checkout_session(request)
    assert first == again
    keys = {r["headers"]["idempotency-key"] for r in stripe_checkout.requests}
    assert keys == {f"intent-{intent.public_id}"}


def test_submissions_are_rate_limited(app, client, campaign, stripe_checkout, db, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_FORM_RATE_LIMIT", "3 per minute")
    statuses = [give(client, amount="1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert intent_count(db) == 0


def test_parse_amount_units():
    assert parse_amount("25", "USD") == 2500
    assert parse_amount("1,234,567.89", "USD") == 123_456_789
    assert parse_amount("500", "JPY") == 500
    with pytest.raises(AmountError, match="whole amount"):
        parse_amount("500.5", "JPY")
    with pytest.raises(AmountError):
        parse_amount("２５", "USD")  # full-width digits are not numbers here


# --- after Stripe ---------------------------------------------------------------------------


def deliver(client, event: dict):
    body, headers = signed(event)
    return client.post("/webhooks/stripe", data=body, headers=headers)


def test_thank_you_page_waits_for_the_webhook_then_shows_the_gift(
    client, campaign, stripe_checkout, db, mail
):
    give(client, amount="2500", cover_fee="y", tribute_type="memory", tribute_name="Grandpa Joe",
         tribute_notify_email="joe.family@example.org")  # fmt: skip
    intent = only_intent(db)
    session = only_request(stripe_checkout)["response"]
    thanks = f"/give/thanks/{intent.public_id}?session_id={session['id']}"

    response = client.get(thanks)
    assert response.status_code == 200
    assert "We are confirming your gift" in response.text
    assert "Thank you, Ada!" not in response.text
    assert response.headers["Refresh"] == "5"
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get(f"/give/status/{intent.public_id}.json").json == {
        "state": "confirming", "confirmed": False,
    }  # fmt: skip
    assert "$0 raised" in text_of(response)

    assert deliver(client, checkout_completed(session)).status_code == 200

    response = client.get(thanks)
    page = text_of(response)
    assert "Thank you, Ada!" in page
    assert "We have received your gift of $25.87 to Spring appeal." in page
    assert "in memory of Grandpa Joe; we are letting them know by email" in page
    assert "Refresh" not in response.headers
    assert "$25.87 raised of our $10,000 goal" in page
    assert "1 donor" in page
    assert client.get(f"/give/status/{intent.public_id}.json").json["state"] == "confirmed"
    assert "$25.87 raised" in text_of(client.get("/give/spring"))

    (notice,) = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.to_address == "joe.family@example.org")
    ).all()
    assert notice.subject == "A gift in memory of Grandpa Joe"
    assert "Ada Lovelace has made a gift to" in notice.text_body
    assert "in memory of Grandpa Joe" in notice.text_body
    assert "$" not in notice.text_body  # the amount stays between the donor and us
    assert "Grandpa Joe" in notice.html_body


def test_monthly_thank_you_after_the_webhook(client, campaign, stripe_checkout, db):
    give(client, amount="5000", frequency="monthly")
    intent = only_intent(db)
    session = only_request(stripe_checkout)["response"]
    assert deliver(client, checkout_completed(session)).status_code == 200
    page = text_of(client.get(f"/give/thanks/{intent.public_id}"))
    assert "Your monthly gift of $50.00 to Spring appeal is set up." in page


def test_anonymous_donor_is_not_named_in_the_tribute_notice(client, campaign, stripe_checkout, db):
    give(client, amount="2500", anonymous="y", tribute_type="honour", tribute_name="Coach Lee",
         tribute_notify_email="lee@example.org")  # fmt: skip
    deliver(client, checkout_completed(only_request(stripe_checkout)["response"]))
    notice = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.to_address == "lee@example.org")
    ).one()
    assert "Lovelace" not in notice.text_body and "Ada" not in notice.text_body
    assert re.search(r"has made a gift to .* in honour of Coach Lee", notice.text_body)


@pytest.mark.parametrize(
    "donation_status, words",
    [
        (DonationStatus.PENDING, "being processed by your bank"),
        (DonationStatus.FAILED, "Your payment did not go through"),
    ],
)
def test_thank_you_page_is_honest_about_slow_and_failed_payments(
    client, campaign, stripe_checkout, db, make_donation, donation_status, words
):
    give(client, amount="2500")
    intent = only_intent(db)
    make_donation(campaign=campaign, intent_id=intent.id, amount_cents=2500,
                  status=donation_status)  # fmt: skip
    page = text_of(client.get(f"/give/thanks/{intent.public_id}"))
    assert words in page
    assert "Thank you, Ada!" not in page


def test_thank_you_page_stops_refreshing_when_the_webhook_is_late(
    client, campaign, stripe_checkout, db
):
    give(client, amount="2500")
    intent = only_intent(db)
    intent.created_at = utcnow() - giving.CONFIRMING_WINDOW - timedelta(seconds=1)
    db.session.commit()
    response = client.get(f"/give/thanks/{intent.public_id}")
    assert "We are still confirming your gift" in response.text
    assert "Refresh" not in response.headers
    assert "Check again" in response.text


@pytest.mark.parametrize("public_id", ["0" * 32, "not-an-id", "A" * 32, "x" * 500])
def test_unknown_gift_is_not_found(client, db, public_id):
    assert client.get(f"/give/thanks/{public_id}").status_code == 404
    response = client.get(f"/give/status/{public_id}.json")
    assert response.status_code == 404
    assert response.is_json


def test_status_endpoint_reveals_no_personal_data(client, campaign, stripe_checkout, db):
    give(client, amount="2500")
    body = client.get(f"/give/status/{only_intent(db).public_id}.json").text
    assert "Ada" not in body and "ada@example.org" not in body


def test_tribute_notice_renders_on_its_own(app, db, campaign):
    from crm.mail.services import queue_email

    intent = DonationIntent(campaign=campaign, currency="USD", frequency=Frequency.MONTHLY,
                            amount_cents=2500, first_name="Ada", last_name="Lovelace",
                            email="ada@example.org", tribute_type="honour",
                            tribute_name="Ms Okafor")  # fmt: skip
    with app.test_request_context():
        message = queue_email(to="okafor@example.org", template="donations/email/tribute",
                              subject="A gift in honour of Ms Okafor", intent=intent,
                              donor_name="Ada Lovelace", monthly=True)  # fmt: skip
    assert (
        "Ada Lovelace has made a monthly gift to Protect Our Children in honour of Ms Okafor"
        in (message.text_body)
    )
    assert "<strong>Ms Okafor</strong>" in message.html_body
    db.session.rollback()


def test_no_donation_is_recorded_from_the_browser(client, campaign, stripe_checkout, db):
    """Coming back to the success URL proves nothing: only the webhook records a gift."""
    give(client, amount="2500")
    intent = only_intent(db)
    client.get(f"/give/thanks/{intent.public_id}?session_id={intent.stripe_checkout_session_id}")
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0
    assert only_intent(db).status == IntentStatus.CHECKOUT


def test_success_url_carries_the_session_placeholder_unescaped(
    client, campaign, stripe_checkout, db
):
    give(client, amount="2500")
    success = only_request(stripe_checkout)["form"]["success_url"]
    assert parse_qs(urlsplit(success).query) == {"session_id": ["{CHECKOUT_SESSION_ID}"]}


def test_policy_lets_the_form_hand_off_to_stripe_checkout_only(client, campaign):
    policy = client.get("/give/spring").headers["Content-Security-Policy"]
    assert "form-action 'self' https://checkout.stripe.com" in policy
    assert "script-src 'self'" in policy
