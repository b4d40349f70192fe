"""Charges: Stripe's fee, refunds (full and partial), and payments made outside the giving
page and outside any invoice (a charge or payment link created in the Stripe dashboard)."""

import logging

from flask import current_app

from crm.donations import services
from crm.donations.events import Context, NotYetKnown, handles, made_known
from crm.donations.events import gifts as stripe_gifts
from crm.donations.models import Donation, DonationStatus, PaymentMethod
from crm.extensions import db
from crm.modelbase import utcnow
from crm.payments import lookups, payloads
from crm.payments.payloads import id_of

log = logging.getLogger("crm.donations.events")


def gift_of(obj: dict, charge_id: str | None) -> Donation:
    """The gift paid by this charge (or the charge a refund or dispute is about), locked."""
    payment_intent = id_of(obj.get("payment_intent"))
    invoice = id_of(obj.get("invoice"))  # older API versions
    donation = stripe_gifts.recorded(payment_intent=payment_intent, charge=charge_id,
                                     invoice=invoice)  # fmt: skip
    if donation is None:
        if payment_intent:
            raise NotYetKnown("payment_intent", payment_intent)
        raise NotYetKnown("charge", charge_id or "?")
    if charge_id and not donation.stripe_charge_id:
        donation.stripe_charge_id = charge_id
    return donation


@handles("charge.succeeded")
def charge_succeeded(charge: dict, event: dict, ctx: Context) -> set[str]:
    """Keep the charge id and Stripe's fee on its gift. A charge no gift knows is held for
    its checkout or invoice event, then recorded as a payment made elsewhere."""
    if charge.get("status") != "succeeded":
        return set()
    payment_intent = id_of(charge.get("payment_intent"))
    invoice = id_of(charge.get("invoice"))
    donation = stripe_gifts.recorded(payment_intent=payment_intent, charge=charge["id"],
                                     invoice=invoice)  # fmt: skip
    if donation is None:
        if invoice:  # older API versions: the invoice's own event brings the gift
            raise NotYetKnown("invoice", invoice)
        key = ("payment_intent", payment_intent) if payment_intent else ("charge", charge["id"])
        stripe_gifts.hold(event, ctx, *key)
        return _adopt(charge, event, ctx)
    if not donation.stripe_charge_id:
        donation.stripe_charge_id = charge["id"]
    _keep_fee(donation, charge, ctx)
    return made_known(("charge", charge["id"]), ("payment_intent", payment_intent))


def _keep_fee(donation: Donation, charge: dict, ctx: Context) -> None:
    if donation.processing_fee_cents is not None or donation.stripe_charge_id != charge["id"]:
        return
    fee = payloads.processor_fee(charge, donation.currency)
    if fee is None and ctx.charge is not None and ctx.charge.charge_id == charge["id"]:
        fee = ctx.charge.fee_cents
    if fee is not None:
        services.set_processing_fee(donation, fee)


def _adopt(charge: dict, event: dict, ctx: Context) -> set[str]:
    """A charge no event of ours has recorded after the grace period: the Checkout Session or
    invoice it belongs to, if any, records it as that event would; otherwise it is a gift of
    its own, its donor found from the charge's billing details or customer."""
    from crm.donations.events import checkout, invoices

    payment_intent = id_of(charge.get("payment_intent"))
    if payment_intent:
        as_event = {"type": "checkout.session.completed", "created": event.get("created")}
        session = lookups.checkout_session_of(payment_intent)
        if session is not None:
            return checkout.checkout_session(session, as_event, ctx)
        invoice = lookups.invoice_paid_by(payment_intent)
        if invoice is not None:
            return invoices.invoice_paid(invoice, {**as_event, "type": "invoice.paid"}, ctx)
    email, name = payloads.customer_of(charge)
    donor = stripe_gifts.donor(ctx, email, name, id_of(charge.get("customer")))
    currency = payloads.currency_of(charge, current_app.config["CURRENCY"])
    campaign_id, fund_id = stripe_gifts.designation(charge.get("metadata"))
    donation = Donation(
        contact=donor,
        campaign_id=campaign_id,
        fund_id=fund_id,
        amount_cents=payloads.amount(charge, "amount", currency),
        currency=currency,
        status=DonationStatus.SUCCEEDED,
        receipt_due=True,  # set before the first write: one INSERT, no UPDATE after it
        method=PaymentMethod.CARD,
        received_at=payloads.timestamp(charge.get("created")) or utcnow(),
        source="stripe-charge",
        stripe_payment_intent_id=payment_intent,
        stripe_charge_id=charge["id"],
    )
    db.session.add(donation)
    db.session.flush()
    _keep_fee(donation, charge, ctx)
    services.mark_receipt_due(donation)
    log.info("charge %s was made outside the giving page: gift %s", charge["id"], donation.id)
    return made_known(("charge", charge["id"]), ("payment_intent", payment_intent))


@handles("charge.refunded")
def charge_refunded(charge: dict, event: dict, ctx: Context) -> None:
    donation = gift_of(charge, charge["id"])
    _keep_fee(donation, charge, ctx)
    currency = donation.currency
    target = payloads.amount(charge, "amount_refunded", currency) or 0
    # What Stripe refunds have taken so far (a chargeback is the dispute's, not a refund).
    refunded = sum(r.amount_cents for r in donation.refunds if not r.dispute_id)
    known = {r.stripe_refund_id for r in donation.refunds}
    for refund_id, cents, reason in payloads.charge_refunds(charge, currency):
        if refund_id in known or refunded + cents > target:
            continue
        if refund(donation, cents, refund_id, reason):
            refunded += cents
    if refunded < target:
        # Refunds not listed in the payload (the current API does not expand them): the
        # charge's cumulative amount_refunded says how much is missing.
        refund(donation, target - refunded, None, "Refunded in Stripe")


def refund(donation: Donation, cents: int, refund_id: str | None, reason: str | None, **kind):
    cents = min(cents, donation.amount_cents - donation.refunded_cents)
    if cents <= 0:
        return None
    return services.apply_refund(donation, cents, stripe_refund_id=refund_id, reason=reason, **kind)
