"""The test checkout of `make run`: with no Stripe key, the giving page hands the donor to a
page of ours, labelled as a test, instead of Stripe's. Completing it builds the events Stripe
would send (crm.payments.dev_events), signs them with the development-only webhook secret and
posts them to the real webhook route, in process, so the gift takes the very path of a real
one from there on: stored once, handled (now or by the job queue), receipted and counted on
the dashboard. Only `DevelopmentConfig` turns it on, and only without a Stripe key; the
production configuration refuses to start with it (config.py)."""

from flask import current_app, url_for
from werkzeug.test import Client

from config import DEV_WEBHOOK_SECRET
from crm.payments import dev_events
from crm.payments.checkout import CheckoutRequest, CheckoutSession


class DevCheckoutError(RuntimeError):
    """The webhook refused a test event; the message says why."""


def enabled() -> bool:
    config = current_app.config
    return (
        bool(config.get("DEV_CHECKOUT")) and config["STRIPE_WEBHOOK_SECRET"] == DEV_WEBHOOK_SECRET
    )


def open_session(request: CheckoutRequest) -> CheckoutSession:
    """Where the giving form sends the donor instead of Stripe's Checkout."""
    return CheckoutSession(
        id=dev_events.session_id(request.reference),
        url=url_for("donations.dev_checkout_page", public_id=request.reference),
    )


def estimated_fee(total_cents: int) -> int:
    """Stripe's standard card fee, as the giving page's "cover the fee" option reckons it."""
    config = current_app.config
    return (
        round(total_cents * config["FEE_PERCENT_BASIS_POINTS"] / 10_000) + config["FEE_FIXED_CENTS"]
    )


def complete(request: CheckoutRequest, donor_name: str) -> str:
    """Deliver what Stripe would send after the donor paid; returns the thank-you URL.
    The caller's transaction must be over: the webhook writes in a transaction of its own."""
    events = dev_events.completed_events(request, donor_name, estimated_fee(request.amount_minor))
    client = Client(current_app._get_current_object())
    webhook = url_for("donations.stripe_webhook")
    for event in events:
        body, signature = dev_events.signed(event, DEV_WEBHOOK_SECRET)
        response = client.post(
            webhook, data=body,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        )  # fmt: skip
        if response.status_code != 200:
            raise DevCheckoutError(
                f"the webhook answered {response.status_code} to {event['type']}: "
                f"{response.get_data(as_text=True)[:300]}"
            )
    return request.success_url.replace(
        "{CHECKOUT_SESSION_ID}", dev_events.session_id(request.reference)
    )
