"""Charges: Stripe's fee, refunds (full and partial) and disputes (a lost one counts as a
refund)."""

import logging

from flask import current_app, url_for
from sqlalchemy import or_, select

from crm.auth.models import User
from crm.auth.roles import Role
from crm.donations import services
from crm.donations.events import NotYetKnown, handles, locked
from crm.donations.models import Dispute, DisputeStatus, Donation
from crm.extensions import db
from crm.mail.services import queue_email
from crm.modelbase import utcnow
from crm.payments import operations, payloads
from crm.payments.money import format_money
from crm.payments.payloads import id_of

log = logging.getLogger("crm.donations.events")


def _gift_of(obj: dict, charge_id: str | None) -> Donation:
    """The gift paid by this charge (or the charge a dispute is about), locked."""
    payment_intent = id_of(obj.get("payment_intent"))
    invoice = id_of(obj.get("invoice"))  # older API versions
    matches = [
        Donation.stripe_payment_intent_id == payment_intent if payment_intent else None,
        Donation.stripe_charge_id == charge_id if charge_id else None,
        Donation.stripe_invoice_id == invoice if invoice else None,
    ]
    matches = [m for m in matches if m is not None]
    donation = locked(select(Donation).where(or_(*matches))) if matches else None
    if donation is None:
        if payment_intent:
            raise NotYetKnown("payment_intent", payment_intent)
        raise NotYetKnown("charge", charge_id or "?")
    if charge_id and not donation.stripe_charge_id:
        donation.stripe_charge_id = charge_id
    return donation


@handles("charge.succeeded", "charge.updated")
def charge_settled(charge: dict, event: dict) -> None:
    """Keep the charge id and Stripe's fee on a gift we know; other charges are not ours yet
    and the checkout or invoice event brings what matters."""
    try:
        donation = _gift_of(charge, charge["id"])
    except NotYetKnown:
        return
    _keep_fee(donation, charge)


def _keep_fee(donation: Donation, charge: dict) -> None:
    """Stripe's fee: from the expanded balance transaction, or fetched when the event only
    names it (events never expand it). A failed fetch leaves the fee unknown rather than
    holding up the gift; a later charge.updated tries again."""
    if donation.fee_cents is not None:
        return
    fee = payloads.processor_fee(charge, donation.currency)
    transaction_id = charge.get("balance_transaction")
    if fee is None and isinstance(transaction_id, str):
        try:
            fee = operations.balance_transaction_fee(transaction_id, donation.currency)
        except operations.PaymentError as exc:
            log.warning("could not fetch the fee of %s: %s", transaction_id, exc)
    if fee is not None:
        donation.fee_cents = fee


@handles("charge.refunded")
def charge_refunded(charge: dict, event: dict) -> None:
    donation = _gift_of(charge, charge["id"])
    _keep_fee(donation, charge)
    currency = donation.currency
    target = payloads.amount(charge, "amount_refunded", currency) or 0
    # What Stripe refunds have taken so far (a lost dispute is recorded under the dispute id).
    refunded = sum(
        r.amount_cents for r in donation.refunds if not (r.stripe_refund_id or "").startswith("dp_")
    )
    known = {r.stripe_refund_id for r in donation.refunds}
    for refund_id, cents, reason in payloads.charge_refunds(charge, currency):
        if refund_id in known or refunded + cents > target:
            continue
        if _refund(donation, cents, refund_id, reason):
            refunded += cents
    if refunded < target:
        # Refunds not listed in the payload (the current API does not expand them): the
        # charge's cumulative amount_refunded says how much is missing.
        _refund(donation, target - refunded, None, "Refunded in Stripe")


def _refund(donation: Donation, cents: int, refund_id: str | None, reason: str | None) -> bool:
    cents = min(cents, donation.amount_cents - donation.refunded_cents)
    if cents <= 0:
        return False
    refund = services.apply_refund(donation, cents, stripe_refund_id=refund_id, reason=reason)
    return refund is not None


@handles("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")
def dispute_changed(obj: dict, event: dict) -> None:
    donation = _gift_of(obj, id_of(obj.get("charge")))
    outcome = payloads.dispute_outcome(obj.get("status"))
    dispute = locked(select(Dispute).where(Dispute.stripe_dispute_id == obj["id"]))
    if dispute is None:
        dispute = Dispute(
            donation=donation,
            stripe_dispute_id=obj["id"],
            amount_cents=payloads.amount(obj, "amount", donation.currency) or donation.amount_cents,
            reason=(obj.get("reason") or "")[:80] or None,
            status=DisputeStatus.OPEN,
            opened_at=payloads.timestamp(obj.get("created")) or utcnow(),
        )
        db.session.add(dispute)
        donation.disputed = True
        db.session.flush()
        if outcome == "open":
            _alert_staff(donation, dispute, "opened")
    if dispute.status != DisputeStatus.OPEN or outcome == "open":
        return  # still open, or settled already: a late "created" changes nothing
    dispute.status = DisputeStatus.WON if outcome == "won" else DisputeStatus.LOST
    dispute.closed_at = payloads.timestamp(event.get("created")) or utcnow()
    if dispute.status == DisputeStatus.LOST:
        _refund(donation, dispute.amount_cents, dispute.stripe_dispute_id, "Dispute lost")
    else:
        donation.disputed = any(d.status == DisputeStatus.OPEN for d in donation.disputes)
    db.session.flush()
    _alert_staff(donation, dispute, dispute.status.value)


def _alert_staff(donation: Donation, dispute: Dispute, what: str) -> None:
    """Email fundraisers and admins: a dispute needs evidence within days, or has ended."""
    recipients = db.session.scalars(
        select(User.email).where(
            User.role.in_([Role.ADMIN, Role.FUNDRAISER]), User.active.is_(True)
        )
    ).all()
    amount = format_money(dispute.amount_cents, donation.currency)
    subject = f"Dispute {what}: {amount} on gift #{donation.id}"
    base = current_app.config["BASE_URL"].rstrip("/")
    for email in recipients:
        queue_email(
            to=email,
            template="donations/email/staff_alert",
            subject=subject,
            what=what,
            donation=donation,
            dispute=dispute,
            amount=amount,
            url=base + url_for("donations.show", donation_id=donation.id),
        )
