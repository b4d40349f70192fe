"""Checkout Sessions: one-time gifts (mode payment) and new monthly plans (mode subscription),
from the giving page (our intent named in the metadata) or from anywhere else: a Payment
Link, or a session another tool created, becomes a gift all the same."""

import logging

from flask import current_app
from jinja2 import TemplateNotFound
from sqlalchemy import select

from crm.contacts.models import Contact
from crm.donations import services
from crm.donations.events import Context, NeedsAttention, handles, locked, made_known
from crm.donations.events import gifts as stripe_gifts
from crm.donations.models import (
    Donation,
    DonationIntent,
    DonationStatus,
    IntentStatus,
    PaymentMethod,
    PlanStatus,
    RecurringPlan,
)
from crm.extensions import db
from crm.mail.services import queue_email
from crm.modelbase import utcnow
from crm.payments import payloads
from crm.payments.payloads import id_of

log = logging.getLogger("crm.donations.events")


@handles(
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
)
def checkout_session(session: dict, event: dict, ctx: Context) -> set[str]:
    public_id = payloads.intent_public_id(session)
    intent = public_id and locked(
        select(DonationIntent).where(DonationIntent.public_id == public_id)
    )
    if not intent:
        return outside_session(session, event, ctx)
    if intent.stripe_checkout_session_id is None:
        intent.stripe_checkout_session_id = session["id"]
    failed = event["type"] == "checkout.session.async_payment_failed"
    donor = find_donor(intent, session)
    if session.get("mode") == "subscription":
        return _subscription_checkout(intent, session, donor, failed)
    return _payment_checkout(intent, session, donor, event, ctx, failed)


def find_donor(intent: DonationIntent, stripe_object: dict) -> Contact:
    email = intent.email or (stripe_object.get("customer_details") or {}).get("email")
    contact = services.find_or_create_donor(email, intent.first_name, intent.last_name)
    stripe_gifts.keep_customer(contact, id_of(stripe_object.get("customer")))
    return contact


def _status_of(session: dict, failed: bool) -> DonationStatus:
    if failed:
        return DonationStatus.FAILED
    if session.get("payment_status") in ("paid", "no_payment_required"):
        return DonationStatus.SUCCEEDED
    return DonationStatus.PENDING  # a bank debit or voucher that settles later


def _payment_checkout(intent, session, donor, event, ctx, failed) -> set[str]:
    status = _status_of(session, failed)
    payment_intent = id_of(session.get("payment_intent"))
    donation = stripe_gifts.recorded(session=session["id"], payment_intent=payment_intent)
    if donation is None:
        currency = payloads.currency_of(session, intent.currency)
        charged = payloads.amount(session, "amount_total", currency) or intent.total_cents
        if charged != intent.total_cents:
            log.warning("session %s charged %s, intent %s asked %s", session["id"], charged,
                        intent.public_id, intent.total_cents)  # fmt: skip
        donation = _new_gift(session, event, donor, status, charged, currency, intent)
        succeeded_now = status == DonationStatus.SUCCEEDED
    else:
        succeeded_now = _settle(donation, status, session)
    stripe_gifts.settle(donation, ctx.charge)
    failed_gift = donation.status == DonationStatus.FAILED
    intent.status = IntentStatus.EXPIRED if failed_gift else IntentStatus.COMPLETED
    if succeeded_now:
        services.mark_receipt_due(donation)
        _notify_tribute(intent, donation)
    return _known(donation)


def _known(donation: Donation) -> set[str]:
    return made_known(
        ("payment_intent", donation.stripe_payment_intent_id),
        ("charge", donation.stripe_charge_id),
        ("session", donation.stripe_checkout_session_id),
    )


def _settle(donation: Donation, status: DonationStatus, session: dict) -> bool:
    """Move a pending gift to its outcome; an older event never moves it back."""
    donation.stripe_checkout_session_id = donation.stripe_checkout_session_id or session["id"]
    donation.stripe_payment_intent_id = donation.stripe_payment_intent_id or id_of(
        session.get("payment_intent")
    )
    if donation.status != DonationStatus.PENDING or status == DonationStatus.PENDING:
        return False
    services.set_status(donation, status)
    return status == DonationStatus.SUCCEEDED


def _new_gift(session, event, donor, status, charged, currency, intent=None) -> Donation:
    fields = {}
    if intent is not None:
        fields = {
            "campaign_id": intent.campaign_id,
            "fund_id": intent.fund_id,
            "intent_id": intent.id,
            "covered_fee_cents": intent.covered_fee_cents,
            "source": intent.source,
            "anonymous": intent.anonymous,
            "tribute_type": intent.tribute_type,
            "tribute_name": intent.tribute_name,
            "comment": intent.comment,
        }
    else:
        campaign_id, fund_id = stripe_gifts.designation(session.get("metadata"))
        fields = {"campaign_id": campaign_id, "fund_id": fund_id, "source": _source(session)}
    donation = Donation(
        contact=donor,
        amount_cents=charged,
        currency=currency,
        status=status,
        receipt_due=status == DonationStatus.SUCCEEDED,  # in the INSERT, not an UPDATE
        method=PaymentMethod.CARD,
        received_at=payloads.timestamp(event.get("created")) or utcnow(),
        stripe_checkout_session_id=session["id"],
        stripe_payment_intent_id=id_of(session.get("payment_intent")),
        **fields,
    )
    db.session.add(donation)
    db.session.flush()
    return donation


def _source(session: dict) -> str | None:
    """What brought a payment made outside the giving page, for the gift's source."""
    link = id_of(session.get("payment_link"))
    return ("payment-link " + link)[:60] if link else "stripe-checkout"


def outside_session(session: dict, event: dict, ctx: Context) -> set[str]:
    """A Checkout Session the giving page did not start (a Payment Link, another tool): its
    gift or monthly plan is recorded from the session and the customer it names."""
    if session.get("status") not in (None, "complete") and event["type"].endswith("completed"):
        raise NeedsAttention(f"Checkout Session {session['id']} is not complete.")
    failed = event["type"] == "checkout.session.async_payment_failed"
    email, name = payloads.customer_of(session)
    donor = stripe_gifts.donor(ctx, email, name, id_of(session.get("customer")))
    if session.get("mode") == "subscription":
        return _outside_subscription(session, donor, failed)
    payment_intent = id_of(session.get("payment_intent"))
    donation = stripe_gifts.recorded(session=session["id"], payment_intent=payment_intent)
    status = _status_of(session, failed)
    if donation is None:
        currency = payloads.currency_of(session, current_app.config["CURRENCY"])
        charged = payloads.amount(session, "amount_total", currency)
        if not charged:
            raise NeedsAttention(f"Checkout Session {session['id']} names no amount.")
        donation = _new_gift(session, event, donor, status, charged, currency)
        succeeded_now = status == DonationStatus.SUCCEEDED
    else:
        succeeded_now = _settle(donation, status, session)
    stripe_gifts.settle(donation, ctx.charge)
    if succeeded_now:
        services.mark_receipt_due(donation)
    return _known(donation)


def _outside_subscription(session: dict, donor: Contact, failed: bool) -> set[str]:
    subscription_id = id_of(session.get("subscription"))
    if not subscription_id:
        raise NeedsAttention(f"Subscription checkout {session['id']} names no subscription.")
    plan = locked(
        select(RecurringPlan).where(RecurringPlan.stripe_subscription_id == subscription_id)
    )
    if plan is None:
        currency = payloads.currency_of(session, current_app.config["CURRENCY"])
        campaign_id, fund_id = stripe_gifts.designation(session.get("metadata"))
        plan = new_plan(donor, subscription_id, id_of(session.get("customer")),
                        payloads.amount(session, "amount_total", currency) or 0, currency,
                        campaign_id, fund_id)  # fmt: skip
    paid = not failed and session.get("payment_status") in ("paid", "no_payment_required")
    if paid and plan.status == PlanStatus.INCOMPLETE:
        plan.status = PlanStatus.ACTIVE
    return made_known(("subscription", subscription_id))


def new_plan(donor, subscription_id, customer_id, amount, currency, campaign_id, fund_id):
    plan = RecurringPlan(
        contact=donor,
        campaign_id=campaign_id,
        fund_id=fund_id,
        amount_cents=amount,
        currency=currency,
        status=PlanStatus.INCOMPLETE,
        stripe_subscription_id=subscription_id,
        stripe_customer_id=customer_id,
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def _subscription_checkout(intent, session, donor, failed) -> set[str]:
    subscription_id = id_of(session.get("subscription"))
    if not subscription_id:
        raise ValueError(f"subscription checkout {session['id']} names no subscription")
    plan = plan_for(intent, subscription_id, id_of(session.get("customer")), donor)
    paid = not failed and session.get("payment_status") in ("paid", "no_payment_required")
    if paid and plan.status == PlanStatus.INCOMPLETE:
        plan.status = PlanStatus.ACTIVE
    first_time = intent.status != IntentStatus.COMPLETED
    intent.status = IntentStatus.EXPIRED if failed else IntentStatus.COMPLETED
    if paid and first_time:
        _notify_tribute(intent, None)
    return made_known(("subscription", subscription_id))


def plan_for(intent, subscription_id, customer_id, donor=None) -> RecurringPlan:
    """The plan of a subscription, created from our intent if this is the first we hear of it.
    The caller holds the intent's lock, so two events cannot both create it."""
    plan = locked(
        select(RecurringPlan).where(RecurringPlan.stripe_subscription_id == subscription_id)
    )
    if plan is None:
        plan = RecurringPlan(
            contact=donor or find_donor(intent, {"customer": customer_id}),
            campaign_id=intent.campaign_id,
            fund_id=intent.fund_id,
            intent_id=intent.id,
            amount_cents=intent.total_cents,
            currency=intent.currency,
            status=PlanStatus.INCOMPLETE,
            stripe_subscription_id=subscription_id,
        )
        db.session.add(plan)
    plan.stripe_customer_id = plan.stripe_customer_id or customer_id
    db.session.flush()
    return plan


def _notify_tribute(intent: DonationIntent, donation: Donation | None) -> None:
    """Tell the person named by the donor that a gift was made in honour or memory."""
    if not intent.tribute_notify_email or not intent.tribute_name:
        return
    template = "donations/email/tribute"
    try:
        current_app.jinja_env.get_template(f"{template}.txt")
    except TemplateNotFound:
        log.warning("no %s template; tribute notice for intent %s not sent", template,
                    intent.public_id)  # fmt: skip
        return
    words = "in memory of" if intent.tribute_type == "memory" else "in honour of"
    queue_email(
        to=intent.tribute_notify_email,
        template=template,
        subject=f"A gift {words} {intent.tribute_name}",
        intent=intent,
        donation=donation,
        campaign=intent.campaign,
        tribute_type=intent.tribute_type,
        tribute_name=intent.tribute_name,
        # "Don't show my name" holds for the person notified too.
        donor_name="A friend" if intent.anonymous else f"{intent.first_name} {intent.last_name}",
        monthly=donation is None,
    )
