"""Monthly gifts: each paid invoice is a gift on its plan; failures and subscription changes
move the plan's status."""

import logging

from sqlalchemy import select

from crm.donations.events import NotYetKnown, handles, locked, made_known
from crm.donations.events.checkout import keep_customer, plan_for
from crm.donations.manage import email_manage_link
from crm.donations.models import (
    Donation,
    DonationIntent,
    DonationStatus,
    PaymentMethod,
    PlanStatus,
    RecurringPlan,
)
from crm.donations.receipts import send_receipt
from crm.extensions import db
from crm.modelbase import utcnow
from crm.payments import payloads
from crm.payments.payloads import id_of

log = logging.getLogger("crm.donations.events")


@handles("invoice.paid", "invoice.payment_succeeded")
def invoice_paid(invoice: dict, event: dict) -> set[str]:
    """Each paid instalment becomes a gift on its plan, once per invoice (Stripe sends both
    events for a charged invoice; invoice.paid alone when it is marked paid otherwise)."""
    subscription_id = payloads.invoice_subscription_id(invoice)
    if not subscription_id:
        log.info("invoice %s is not for a subscription; ignored", invoice.get("id"))
        return set()
    plan = _plan_of_invoice(invoice, subscription_id)
    if plan.status != PlanStatus.CANCELLED:
        plan.status = PlanStatus.ACTIVE
    currency = payloads.currency_of(invoice, plan.currency)
    paid = payloads.amount(invoice, "amount_paid", currency)
    known = db.session.scalar(select(Donation).where(Donation.stripe_invoice_id == invoice["id"]))
    if not paid or known is not None:
        return set()  # nothing charged (a trial, a credit), or already recorded
    payment_intent, charge = payloads.invoice_payment_ids(invoice)
    intent = db.session.get(DonationIntent, plan.intent_id) if plan.intent_id else None
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at") or event.get("created")
    donation = Donation(
        contact_id=plan.contact_id,
        campaign_id=plan.campaign_id,
        fund_id=plan.fund_id,
        recurring_plan=plan,
        intent_id=plan.intent_id,
        amount_cents=paid,
        currency=currency,
        covered_fee_cents=intent.covered_fee_cents if intent and paid == intent.total_cents else 0,
        status=DonationStatus.SUCCEEDED,
        method=PaymentMethod.CARD,
        received_at=payloads.timestamp(paid_at) or utcnow(),
        source=intent.source if intent else None,
        anonymous=intent.anonymous if intent else False,
        tribute_type=intent.tribute_type if intent else None,
        tribute_name=intent.tribute_name if intent else None,
        stripe_invoice_id=invoice["id"],
        stripe_payment_intent_id=payment_intent,
        stripe_charge_id=charge,
    )
    db.session.add(donation)
    db.session.flush()
    send_receipt(donation)
    return made_known(
        ("invoice", invoice["id"]), ("payment_intent", payment_intent), ("charge", charge)
    )


def _plan_of_invoice(invoice: dict, subscription_id: str) -> RecurringPlan:
    plan = locked(
        select(RecurringPlan).where(RecurringPlan.stripe_subscription_id == subscription_id)
    )
    if plan is not None:
        return plan
    # The first invoice may come before the checkout session: the subscription's metadata
    # names our intent, which is all we need to create the plan.
    public_id = payloads.invoice_intent_public_id(invoice)
    intent = public_id and locked(
        select(DonationIntent).where(DonationIntent.public_id == public_id)
    )
    if not intent:
        raise NotYetKnown("subscription", subscription_id)
    return plan_for(intent, subscription_id, id_of(invoice.get("customer")))


@handles("invoice_payment.paid")
def invoice_payment_paid(payment: dict, event: dict) -> set[str]:
    """The current API names an invoice's payment intent only here: keep it on the gift, so
    that a refund or dispute of a monthly gift finds it."""
    invoice_id = id_of(payment.get("invoice"))
    details = payment.get("payment") or {}
    payment_intent = id_of(details.get("payment_intent"))
    charge = id_of(details.get("charge"))
    if not invoice_id or not (payment_intent or charge):
        return set()
    donation = locked(select(Donation).where(Donation.stripe_invoice_id == invoice_id))
    if donation is None:
        raise NotYetKnown("invoice", invoice_id)
    donation.stripe_payment_intent_id = donation.stripe_payment_intent_id or payment_intent
    donation.stripe_charge_id = donation.stripe_charge_id or charge
    return made_known(("payment_intent", payment_intent), ("charge", charge))


@handles("invoice.payment_failed")
def invoice_payment_failed(invoice: dict, event: dict) -> None:
    subscription_id = payloads.invoice_subscription_id(invoice)
    plan = subscription_id and locked(
        select(RecurringPlan).where(RecurringPlan.stripe_subscription_id == subscription_id)
    )
    if not plan:
        log.info("failed invoice %s is for no plan of ours; ignored", invoice.get("id"))
        return
    if plan.status in (PlanStatus.CANCELLED, PlanStatus.PAST_DUE):
        return  # one email per lapse, not one per retry
    plan.status = PlanStatus.PAST_DUE
    plan.stripe_customer_id = plan.stripe_customer_id or id_of(invoice.get("customer"))
    contact = plan.contact
    keep_customer(contact, plan.stripe_customer_id)
    if contact.email and contact.stripe_customer_id:
        email_manage_link(contact, reason="payment_failed")
    else:
        log.warning("plan %s is past due but its donor cannot be emailed a link", plan.id)


@handles("customer.subscription.updated", "customer.subscription.deleted")
def subscription_changed(subscription: dict, event: dict) -> None:
    plan = locked(
        select(RecurringPlan).where(RecurringPlan.stripe_subscription_id == subscription["id"])
    )
    deleted = event["type"] == "customer.subscription.deleted"
    if plan is None:
        if deleted and payloads.intent_public_id(subscription):
            raise NotYetKnown("subscription", subscription["id"])
        return
    if plan.status == PlanStatus.CANCELLED:
        return  # an ended subscription never comes back
    state = "cancelled" if deleted else payloads.subscription_state(subscription.get("status"))
    if state == "cancelled":
        plan.status = PlanStatus.CANCELLED
        ended = subscription.get("ended_at") or subscription.get("canceled_at")
        plan.cancelled_at = payloads.timestamp(ended) or utcnow()
        return
    if state in ("active", "past_due"):
        plan.status = PlanStatus(state)
    amount = payloads.subscription_amount(subscription, plan.currency)
    if amount:
        plan.amount_cents = amount
