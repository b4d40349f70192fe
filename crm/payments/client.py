"""The Stripe client, configured from the app: one place that knows keys and addresses."""

import json

import stripe
from flask import current_app


def stripe_client() -> stripe.StripeClient:
    config = current_app.config
    extensions = current_app.extensions
    cached = extensions.get("crm.stripe_client")
    if cached is None:
        base = {"api": config["STRIPE_API_BASE"]} if config.get("STRIPE_API_BASE") else None
        cached = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"] or "sk_unset",
            base_addresses=base,
            max_network_retries=config.get("STRIPE_NETWORK_RETRIES", 2),
        )
        extensions["crm.stripe_client"] = cached
    return cached


class SignatureError(ValueError):
    """A webhook whose signature, timestamp or body does not check out."""


def verify_event(payload: bytes, signature_header: str | None, tolerance: int = 300) -> dict:
    """Check a webhook delivery on its raw body and return the event as a plain dict."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not signature_header:
        raise SignatureError("missing Stripe-Signature header")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature_header, secret, tolerance
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise SignatureError(str(exc)) from exc
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise SignatureError("body is not JSON") from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise SignatureError("not a Stripe event")
    return event
