"""Online giving: a validated gift becomes a DonationIntent, then a Stripe Checkout Session.

Services here add and flush; the view commits. Whether a gift went through is only ever
learnt from Stripe's webhook (crm/donations/events.py), never from the donor's browser.
"""

import enum
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import select

from crm.donations import dev_checkout, services
from crm.donations.models import (
    Campaign,
    Donation,
    DonationIntent,
    DonationStatus,
    Frequency,
    IntentStatus,
    RecurringPlan,
)
from crm.extensions import db
from crm.modelbase import utcnow
from crm.payments.checkout import CheckoutRequest, create_checkout_session

# How long the thank-you page keeps refreshing itself while it waits for the webhook.
CONFIRMING_WINDOW = timedelta(minutes=10)


class GiftState(enum.StrEnum):
    CONFIRMING = "confirming"  # back from Stripe; the webhook has not told us yet
    SLOW = "slow"  # still no word from Stripe after CONFIRMING_WINDOW
    PROCESSING = "processing"  # Stripe took it but the money settles later (bank debit)
    CONFIRMED = "confirmed"  # the webhook recorded the gift
    FAILED = "failed"  # the payment did not go through


def start_checkout(campaign: Campaign, data: dict) -> tuple[DonationIntent, str]:
    """Store the gift request and open Stripe's payment page for exactly its amount.
    Returns the intent and the URL to send the donor to; raises CheckoutError."""
    intent = services.create_intent(campaign, data)
    request = checkout_request(intent)
    if dev_checkout.enabled():  # development without a Stripe key: our labelled test page
        session = dev_checkout.open_session(request)
    else:
        session = create_checkout_session(request)
    intent.stripe_checkout_session_id = session.id
    intent.status = IntentStatus.CHECKOUT
    db.session.flush()
    return intent, session.url


def checkout_request(intent: DonationIntent) -> CheckoutRequest:
    org = current_app.config["ORG_NAME"]
    monthly = intent.frequency == Frequency.MONTHLY
    name = f"{'Monthly gift' if monthly else 'Gift'} to {org} · {intent.campaign.name}"
    thanks = url_for("donations.give_thanks", public_id=intent.public_id, _external=True)
    return CheckoutRequest(
        reference=intent.public_id,
        amount_minor=intent.total_cents,
        currency=intent.currency,
        monthly=monthly,
        product_name=name[:250],
        customer_email=intent.email,
        # Stripe fills in the placeholder; url_for would escape its braces.
        success_url=f"{thanks}?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=url_for(
            "donations.give", slug=intent.campaign.slug, intent=intent.public_id, _external=True
        ),
        metadata={"campaign": intent.campaign.slug},
    )


def find_intent(public_id: str) -> DonationIntent | None:
    if not (len(public_id) == 32 and all(c in "0123456789abcdef" for c in public_id)):
        return None
    return db.session.scalar(select(DonationIntent).where(DonationIntent.public_id == public_id))


def restorable_intent(campaign: Campaign, public_id: str | None) -> DonationIntent | None:
    """The gift to put back in the form when the donor returns from Stripe without paying."""
    intent = find_intent(public_id or "")
    if intent is None or intent.campaign_id != campaign.id:
        return None
    if intent.status not in (IntentStatus.CREATED, IntentStatus.CHECKOUT):
        return None
    return intent


def gift_for(intent: DonationIntent) -> Donation | None:
    """The gift the webhook recorded for this intent: directly, or the first instalment of
    the monthly plan it started."""
    donation = db.session.scalars(
        select(Donation).where(Donation.intent_id == intent.id).order_by(Donation.id)
    ).first()
    if donation is None:
        donation = db.session.scalars(
            select(Donation)
            .join(RecurringPlan, Donation.recurring_plan_id == RecurringPlan.id)
            .where(RecurringPlan.intent_id == intent.id)
            .order_by(Donation.id)
        ).first()
    return donation


def gift_state(intent: DonationIntent, donation: Donation | None) -> GiftState:
    if donation is not None:
        if donation.status == DonationStatus.PENDING:
            return GiftState.PROCESSING
        if donation.status == DonationStatus.FAILED:
            return GiftState.FAILED
        return GiftState.CONFIRMED
    if intent.status == IntentStatus.COMPLETED:
        return GiftState.CONFIRMED  # e.g. a monthly plan whose first instalment is on its way
    if intent.status == IntentStatus.EXPIRED:
        return GiftState.FAILED
    if utcnow() - intent.created_at > CONFIRMING_WINDOW:
        return GiftState.SLOW
    return GiftState.CONFIRMING
