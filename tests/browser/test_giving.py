"""A donor on a phone: the giving page hands off to Stripe Checkout (asserted, not followed),
Stripe's webhook confirms the gift, and the thank-you page and the thermometer show it."""

import os
import re
import urllib.request
import warnings

import pytest
from sqlalchemy import select

from crm.donations.models import (
    Campaign,
    CampaignStatus,
    Donation,
    DonationIntent,
    DonationStatus,
    PaymentMethod,
)
from crm.donations.services import fee_to_cover
from crm.modelbase import utcnow
from tests.browser.conftest import ROOT
from tests.donations.giving_support import (  # noqa: F401 - fixtures
    checkout_completed,
    checkout_stub_fixture,
    signed,
)
from tests.servers import start_app_server

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
CHECKOUT_PAGE = "<!doctype html><title>Stripe Checkout</title><h1>Pay with Stripe (stub)</h1>"


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.fixture(scope="module", name="live_server")
def giving_live_server(app, smtp_server, checkout_stub, tmp_path_factory):
    """The live server of tests/browser/conftest.py, with its Stripe client pointed at the
    Checkout stub. It overrides `live_server` for this module only, so the `page` fixture
    opens tabs on it."""
    log = tmp_path_factory.mktemp("live-app-giving") / "server.log"
    env = {
        "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server[0].port),
        "STRIPE_API_BASE": checkout_stub.url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            server = start_app_server(env, log)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}; its log:\n{log.read_text()[-3000:]}") from exc
    server.url = f"http://127.0.0.1:{server.port}"
    yield server
    server.stop()


def deliver_webhook(server_url: str, event: dict) -> int:
    body, headers = signed(event)  # whsec_test_secret, as TestingConfig has it
    request = urllib.request.Request(f"{server_url}/webhooks/stripe", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def spring_appeal(db, first_gift_by=None) -> Campaign:
    campaign = Campaign(name="Spring appeal", slug="spring", goal_cents=1_000_000, currency="USD",
                        status=CampaignStatus.ACTIVE)  # fmt: skip
    db.session.add(campaign)
    if first_gift_by is not None:
        db.session.add(
            Donation(
                contact=first_gift_by,
                campaign=campaign,
                amount_cents=10_000,
                currency="USD",
                status=DonationStatus.SUCCEEDED,
                method=PaymentMethod.CHEQUE,
                received_at=utcnow(),
            )  # fmt: skip
        )
    db.session.commit()
    return campaign


def csp_violations(console_messages: list[str]) -> list[str]:
    return [m for m in console_messages if "Content Security Policy" in m]


def test_give_on_a_phone_then_the_webhook_confirms_it(
    page, live_server, checkout_stub, make_contact, db, console_messages
):
    spring_appeal(db, first_gift_by=make_contact(email="first@example.org"))
    checkout_stub.clear()
    fee = fee_to_cover(3000)
    page.set_viewport_size(PHONE)
    # Stripe's page is never reached: the navigation to it is answered here.
    checkout_visits = []

    def stripe_page(route):
        checkout_visits.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body=CHECKOUT_PAGE)

    page.route("https://checkout.stripe.com/**", stripe_page)

    page.goto("/give/spring?source=phone-test")
    expect(page.get_by_role("heading", name="Spring appeal", level=1)).to_be_visible()
    expect(page.get_by_text("$100 raised of our $10,000 goal")).to_be_visible()
    expect(page.get_by_text("1% of the goal · 1 donor")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_label("Other amount").fill("30")
    expect(page.get_by_role("radio", name="Other")).to_be_checked()
    page.get_by_label("Add the card processing fee to my gift").check()
    summary = f"You give $30.00 + ${fee / 100:.2f} for the fee = ${(3000 + fee) / 100:.2f}."
    expect(page.locator("#give-summary")).to_have_text(summary)
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email", exact=True).fill("ada@example.org")
    expect(page.get_by_label("Their name")).to_be_hidden()
    page.get_by_label("In honour of someone").check()
    page.get_by_label("Their name").fill("Ms Okafor")
    page.get_by_role("button", name="Continue to secure payment").click()

    expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test_\w+$"))
    expect(page.get_by_role("heading", name="Pay with Stripe (stub)")).to_be_visible()
    assert len(checkout_visits) == 1
    assert csp_violations(console_messages) == []
    (request,) = checkout_stub.requests
    session = request["response"]
    assert checkout_visits[0] == session["url"]
    sent = request["form"]
    assert sent["mode"] == "payment"
    assert sent["line_items[0][price_data][unit_amount]"] == str(3000 + fee)
    intent = db.session.scalars(select(DonationIntent)).one()
    assert (intent.source, intent.tribute_name) == ("phone-test", "Ms Okafor")
    assert request["headers"]["idempotency-key"] == f"intent-{intent.public_id}"
    db.session.rollback()

    # Back from Stripe: the gift is not confirmed until the webhook says so.
    success_url = sent["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
    assert success_url.startswith(f"{live_server.url}/give/thanks/{intent.public_id}")
    page.goto(success_url)
    expect(page.get_by_role("heading", name="We are confirming your gift")).to_be_visible()

    assert deliver_webhook(live_server.url, checkout_completed(session)) == 200

    # The page notices by itself (give.js polls the status; the Refresh header would too).
    total = f"${(3000 + fee) / 100:.2f}"
    expect(page.get_by_role("heading", name="Thank you, Ada!")).to_be_visible()
    expect(
        page.get_by_text(f"We have received your gift of {total} to Spring appeal.")
    ).to_be_visible()
    raised = f"${(13_000 + fee) / 100:,.2f}"
    expect(page.get_by_text(f"{raised} raised of our $10,000 goal")).to_be_visible()
    expect(page.get_by_text("1% of the goal · 2 donors")).to_be_visible()
    donation = db.session.scalars(select(Donation).where(Donation.intent_id == intent.id)).one()
    assert donation.amount_cents == 3000 + fee
    db.session.rollback()

    page.goto("/give/spring")
    expect(page.get_by_text(f"{raised} raised of our $10,000 goal")).to_be_visible()
    assert csp_violations(console_messages) == []


def test_giving_page_works_without_javascript(browser, live_server, checkout_stub, db):
    spring_appeal(db)
    checkout_stub.clear()
    context = browser.new_context(base_url=live_server.url, viewport=PHONE,
                                  java_script_enabled=False)  # fmt: skip
    try:
        page = context.new_page()
        page.route(
            "https://checkout.stripe.com/**",
            lambda route: route.fulfill(status=200, content_type="text/html", body=CHECKOUT_PAGE),
        )
        page.goto("/give/spring")
        page.get_by_label("Other amount").fill("12.50")  # "Other" is not ticked: no script
        page.locator("label", has_text=re.compile(r"^Monthly$")).click()
        page.get_by_label("First name").fill("Grace")
        page.get_by_label("Last name").fill("Hopper")
        page.get_by_label("Email", exact=True).fill("grace@example.org")
        page.get_by_role("button", name="Continue to secure payment").click()
        expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test_"))
        (request,) = checkout_stub.requests
        assert request["form"]["mode"] == "subscription"
        assert request["form"]["line_items[0][price_data][unit_amount]"] == "1250"
    finally:
        context.close()
