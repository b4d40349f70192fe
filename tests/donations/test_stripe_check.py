"""`flask crm stripe-check` and the README: exactly the events the endpoint needs, which of
them the configured endpoint lacks, and whether the signing secret matches Stripe's."""

import re
import time
from pathlib import Path

import pytest

from crm.donations.events import HANDLERS, REQUIRED_EVENTS
from tests import stripe_support as ss

README = Path(__file__).resolve().parents[2] / "README.md"
URL = "http://localhost/webhooks/stripe"  # BASE_URL of the tests


def endpoint(events: list[str], url: str = URL, status: str = "enabled") -> dict:
    return {"id": ss._id("we"), "object": "webhook_endpoint", "url": url, "status": status,
            "enabled_events": events, "api_version": None, "livemode": False}  # fmt: skip


def old_event(type: str = "charge.refunded") -> dict:
    return ss.event(type, {"id": ss._id("ch"), "object": "charge"}, created=int(time.time()) - 3600)


def test_the_readme_lists_exactly_the_events_the_endpoint_needs():
    text = README.read_text()
    section = text.split("Subscribe the endpoint to", 1)[1].split(".\n", 1)[0]
    listed = re.findall(r"`([a-z_.]+)`", section)
    assert listed == list(REQUIRED_EVENTS)
    assert set(REQUIRED_EVENTS) <= set(HANDLERS)


def test_missing_events_and_a_working_secret(runner, fake_stripe, client):
    needed = [e for e in REQUIRED_EVENTS if e not in ("payout.paid", "charge.succeeded")]
    fake_stripe.add(endpoint([*needed, "customer.created"]),
                    endpoint(["*"], url="https://elsewhere.example.org/hook"))  # fmt: skip
    delivered = old_event()
    fake_stripe.add(delivered)
    assert ss.deliver(client, delivered).status_code == 200  # verified and stored
    result = runner.invoke(args=["crm", "stripe-check"])
    assert result.exit_code == 1
    assert "missing: charge.succeeded" in result.output and "missing: payout.paid" in result.output
    assert "not needed (acknowledged and not stored): customer.created" in result.output
    assert "elsewhere" not in result.output
    assert "Signing secret works: the last 1 events Stripe sent were received" in result.output
    assert "2 problem(s) found" in result.output


def test_a_secret_that_does_not_match(runner, fake_stripe, client):
    fake_stripe.add(endpoint(list(REQUIRED_EVENTS)))
    sent = old_event()
    fake_stripe.add(sent)
    response = ss.deliver(client, sent, secret="whsec_the_other_one")  # Stripe's real secret
    assert response.status_code == 400
    result = runner.invoke(args=["crm", "stripe-check"])
    assert result.exit_code == 1
    assert f"all {len(REQUIRED_EVENTS)} events the CRM needs are enabled" in result.output
    assert "Signing secret does NOT match: 1 of Stripe's last 1 events never arrived" in (
        result.output
    )
    assert "1 deliveries were refused for a bad signature" in result.output


def test_no_endpoint_at_our_address(runner, fake_stripe):
    fake_stripe.add(endpoint(list(REQUIRED_EVENTS), url="https://old.example.org/webhooks/stripe"))
    result = runner.invoke(args=["crm", "stripe-check"])
    assert result.exit_code == 1
    assert f"No webhook endpoint in Stripe sends to {URL}" in result.output


@pytest.mark.parametrize("problem", ["unreachable", "no key"])
def test_stripe_not_reachable_or_not_configured(app, runner, db, problem, monkeypatch):
    if problem == "no key":
        monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    result = runner.invoke(args=["crm", "stripe-check"])
    assert result.exit_code == 1
    expected = "Stripe did not answer" if problem == "unreachable" else "STRIPE_SECRET_KEY is not"
    assert expected in result.output
