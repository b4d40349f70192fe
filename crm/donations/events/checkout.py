"""Checkout Sessions: one-time gifts (mode payment) and new monthly plans (mode subscription)."""

import logging

from flask import current_app
from jinja2 import TemplateNotFound
from sqlalchemy import select

from crm.contacts.models import Contact
from crm.donations import services
from crm.donations.events import handles, locked, made_known
from crm.donations.models import (
    Donation,
    DonationIntent,
    DonationStatus,
    IntentStatus,
    PaymentMethod,
    PlanStatus,
    RecurringPlan,
)
from crm.donations.receipts import send_receipt
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
def checkout_session(session: dict, event: dict) -> set[str]:
    public_id = payloads.intent_public_id(session)
    intent = locked(select(DonationIntent).where(DonationIntent.public_id == public_id))
    if intent is None:
        log.warning("checkout session %s names no intent of ours; ignored", session.get("id"))
        return set()
    if intent.stripe_checkout_session_id is None:
        intent.stripe_checkout_session_id = session["id"]
    failed = event["type"] == "checkout.session.async_payment_failed"
    donor = find_donor(intent, session)
    if session.get("mode") == "subscription":
        return _subscription_checkout(intent, session, donor, failed)
    return _payment_checkout(intent, session, donor, event, failed)


def find_donor(intent: DonationIntent, stripe_object: dict) -> Contact:
    email = intent.email or (stripe_object.get("customer_details") or {}).get("email")
    contact = services.find_or_create_donor(email, intent.first_name, intent.last_name)
    keep_customer(contact, id_of(stripe_object.get("customer")))
    return contact


def keep_customer(contact: Contact, customer_id: str | None) -> None:
    """Remember the donor's Stripe customer, unless another contact already holds it."""
    if not customer_id or contact.stripe_customer_id:
        return
    holder = db.session.scalar(select(Contact.id).where(Contact.stripe_customer_id == customer_id))
    if holder is None:
        contact.stripe_customer_id = customer_id


def _payment_checkout(intent, session, donor, event, failed) -> set[str]:
    if failed:
        status = DonationStatus.FAILED
    elif session.get("payment_status") in ("paid", "no_payment_required"):
        status = DonationStatus.SUCCEEDED
    else:
        status = DonationStatus.PENDING  # a bank debit or voucher that settles later
    donation = locked(select(Donation).where(Donation.stripe_checkout_session_id == session["id"]))
    if donation is None:
        donation = _new_checkout_gift(intent, session, donor, status, event)
        succeeded_now = status == DonationStatus.SUCCEEDED
    else:
        succeeded_now = _settle(donation, status)
        donation.stripe_payment_intent_id = donation.stripe_payment_intent_id or id_of(
            session.get("payment_intent")
        )
    failed_gift = donation.status == DonationStatus.FAILED
    intent.status = IntentStatus.EXPIRED if failed_gift else IntentStatus.COMPLETED
    if succeeded_now:
        send_receipt(donation)
        _notify_tribute(intent, donation)
    return made_known(("payment_intent", donation.stripe_payment_intent_id))


def _settle(donation: Donation, status: DonationStatus) -> bool:
    """Move a pending gift to its outcome; an older event never moves it back."""
    if donation.status != DonationStatus.PENDING or status == DonationStatus.PENDING:
        return False
    services.set_status(donation, status)
    return status == DonationStatus.SUCCEEDED


def _new_checkout_gift(intent, session, donor, status, event) -> Donation:
    currency = payloads.currency_of(session, intent.currency)
    charged = payloads.amount(session, "amount_total", currency) or intent.total_cents
    if charged != intent.total_cents:
        log.warning("session %s charged %s, intent %s asked %s", session["id"], charged,
                    intent.public_id, intent.total_cents)  # fmt: skip
    donation = Donation(
        contact=donor,
        campaign_id=intent.campaign_id,
        fund_id=intent.fund_id,
        intent_id=intent.id,
        amount_cents=charged,
        currency=currency,
        covered_fee_cents=intent.covered_fee_cents,
        fee_cents=payloads.processor_fee(session.get("payment_intent"), currency),
        status=status,
        method=PaymentMethod.CARD,
        received_at=payloads.timestamp(event.get("created")) or utcnow(),
        source=intent.source,
        anonymous=intent.anonymous,
        tribute_type=intent.tribute_type,
        tribute_name=intent.tribute_name,
        comment=intent.comment,
        stripe_checkout_session_id=session["id"],
        stripe_payment_intent_id=id_of(session.get("payment_intent")),
    )
    db.session.add(donation)
    db.session.flush()
    return donation


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
