"""Invoices: each paid instalment is a gift on its plan; a subscription the CRM did not create
(one made in the Stripe dashboard, or by a Payment Link) gets its plan from the invoice's
customer; a one-off invoice paid outside a subscription is a one-time gift. Failures and
subscription changes move the plan's status."""

import logging

from flask import current_app
from sqlalchemy import select

from crm.donations import services
from crm.donations.events import Context, NotYetKnown, handles, locked, made_known
from crm.donations.events import gifts as stripe_gifts
from crm.donations.events.checkout import new_plan, plan_for
from crm.donations.manage import email_manage_link
from crm.donations.models import (
    Donation,
    DonationIntent,
    DonationStatus,
    PaymentMethod,
    PlanStatus,
    RecurringPlan,
)
from crm.extensions import db
from crm.modelbase import utcnow
from crm.payments import payloads
from crm.payments.payloads import id_of

log = logging.getLogger("crm.donations.events")


@handles("invoice.paid", "invoice.payment_succeeded")
def invoice_paid(invoice: dict, event: dict, ctx: Context) -> set[str]:
    """Each paid invoice becomes a gift once (Stripe sends both events for a charged
    invoice; invoice.paid alone when it is marked paid otherwise)."""
    subscription_id = payloads.invoice_subscription_id(invoice)
    plan = _plan_of_invoice(invoice, subscription_id, event, ctx) if subscription_id else None
    if plan is not None and plan.status != PlanStatus.CANCELLED:
        plan.status = PlanStatus.ACTIVE
        plan.past_due_at = None
    currency = payloads.currency_of(invoice, plan.currency if plan else "")
    paid = payloads.amount(invoice, "amount_paid", currency)
    if not paid:
        return made_known(("subscription", subscription_id))  # a trial or a credit
    payment_intent, charge = payloads.invoice_payment_ids(invoice)
    if ctx.charge is not None:
        payment_intent = payment_intent or ctx.charge.payment_intent_id
        charge = charge or ctx.charge.charge_id
    donation = stripe_gifts.recorded(
        invoice=invoice["id"], payment_intent=payment_intent, charge=charge
    )
    if donation is None:
        donor = plan.contact if plan else _one_off_donor(invoice, ctx)
        donation = _new_gift(invoice, event, plan, donor, paid, currency)
        services.mark_receipt_due(donation)
    donation.stripe_invoice_id = donation.stripe_invoice_id or invoice["id"]
    donation.stripe_payment_intent_id = donation.stripe_payment_intent_id or payment_intent
    donation.stripe_charge_id = donation.stripe_charge_id or charge
    stripe_gifts.settle(donation, ctx.charge)
    return made_known(
        ("invoice", invoice["id"]),
        ("payment_intent", donation.stripe_payment_intent_id),
        ("charge", donation.stripe_charge_id),
        ("subscription", subscription_id),
    )


def _new_gift(invoice, event, plan, donor, paid, currency) -> Donation:
    intent = db.session.get(DonationIntent, plan.intent_id) if plan and plan.intent_id else None
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at") or event.get("created")
    if plan is not None:
        designation = {"campaign_id": plan.campaign_id, "fund_id": plan.fund_id}
    else:
        campaign_id, fund_id = stripe_gifts.designation(invoice.get("metadata"))
        designation = {"campaign_id": campaign_id, "fund_id": fund_id, "source": "stripe-invoice"}
    if intent is not None:
        designation.update(
            source=intent.source, anonymous=intent.anonymous, tribute_type=intent.tribute_type,
            tribute_name=intent.tribute_name,
            covered_fee_cents=intent.covered_fee_cents if paid == intent.total_cents else 0,
        )  # fmt: skip
    donation = Donation(
        contact=donor,
        recurring_plan=plan,
        intent_id=plan.intent_id if plan else None,
        amount_cents=paid,
        currency=currency,
        status=DonationStatus.SUCCEEDED,
        receipt_due=True,  # in the INSERT, not an UPDATE after it
        method=PaymentMethod.CARD,
        received_at=payloads.timestamp(paid_at) or utcnow(),
        stripe_invoice_id=invoice["id"],
        **designation,
    )
    db.session.add(donation)
    db.session.flush()
    return donation


def _one_off_donor(invoice: dict, ctx: Context):
    email, name = payloads.customer_of(invoice)
    return stripe_gifts.donor(ctx, email, name, id_of(invoice.get("customer")))


def _plan_of_invoice(invoice: dict, subscription_id: str, event: dict, ctx: Context):
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
    if intent:
        return plan_for(intent, subscription_id, id_of(invoice.get("customer")))
    if public_id:
        raise NotYetKnown("subscription", subscription_id)  # ours, intent not found (yet)
    if "parent" not in invoice and "subscription_details" not in invoice:
        # An older API version does not copy the subscription's metadata: wait a while for
        # the checkout event that would name our intent before taking it for an outside one.
        stripe_gifts.hold(event, ctx, "subscription", subscription_id)
    # A subscription the CRM did not create: its plan comes from the invoice's customer.
    email, name = payloads.customer_of(invoice)
    donor = stripe_gifts.donor(ctx, email, name, id_of(invoice.get("customer")))
    currency = payloads.currency_of(invoice, current_app.config["CURRENCY"])
    amount = payloads.amount(invoice, "total", currency) or 0
    campaign_id, fund_id = stripe_gifts.designation(_subscription_metadata(invoice))
    return new_plan(donor, subscription_id, id_of(invoice.get("customer")), amount, currency,
                    campaign_id, fund_id)  # fmt: skip


def _subscription_metadata(invoice: dict) -> dict:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return details.get("metadata") or {}


@handles("invoice_payment.paid")
def invoice_payment_paid(payment: dict, event: dict, ctx: Context) -> set[str]:
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
def invoice_payment_failed(invoice: dict, event: dict, ctx: Context) -> None:
    subscription_id = payloads.invoice_subscription_id(invoice)
    plan = subscription_id and locked(
        select(RecurringPlan).where(RecurringPlan.stripe_subscription_id == subscription_id)
    )
    if not plan:
        if subscription_id:  # a plan another event brings, or staff must look at it
            raise NotYetKnown("subscription", subscription_id)
        log.info("failed invoice %s is for no subscription; nothing to record", invoice.get("id"))
        return
    if plan.status in (PlanStatus.CANCELLED, PlanStatus.PAST_DUE):
        return  # one email per lapse, not one per retry
    plan.status = PlanStatus.PAST_DUE
    plan.past_due_at = payloads.timestamp(event.get("created")) or utcnow()
    plan.stripe_customer_id = plan.stripe_customer_id or id_of(invoice.get("customer"))
    contact = plan.contact
    stripe_gifts.keep_customer(contact, plan.stripe_customer_id)
    if contact.email and contact.stripe_customer_id:
        email_manage_link(contact, reason="payment_failed")
    else:
        log.warning("plan %s is past due but its donor cannot be emailed a link", plan.id)


@handles("customer.subscription.updated", "customer.subscription.deleted")
def subscription_changed(subscription: dict, event: dict, ctx: Context) -> None:
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
    if state == "past_due" and plan.status != PlanStatus.PAST_DUE:
        plan.past_due_at = payloads.timestamp(event.get("created")) or utcnow()
    if state in ("active", "past_due"):
        plan.status = PlanStatus(state)
    if state == "active":
        plan.past_due_at = None
    amount = payloads.subscription_amount(subscription, plan.currency)
    if amount:
        plan.amount_cents = amount
