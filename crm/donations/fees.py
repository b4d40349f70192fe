"""Stripe's fee on every online gift, however its events arrived: a gift recorded without it
(Stripe not reachable then, or its balance transaction not booked yet) gets it from the
periodic sweep, through the SDK. A payout's balance transactions fill it in too."""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from crm.donations import services
from crm.donations.models import Donation, DonationStatus, PaymentMethod
from crm.extensions import db
from crm.modelbase import utcnow
from crm.payments import lookups

log = logging.getLogger("crm.donations.fees")

BATCH = 50
SETTLED = (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED, DonationStatus.REFUNDED)
LOOK_BACK = timedelta(days=60)  # older gifts get theirs from payouts
NOT_BEFORE = timedelta(minutes=2)  # give the gift's own events a moment first


def stripe_configured() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def missing(limit: int = BATCH) -> list[tuple[int, str | None, str | None, str | None]]:
    now = utcnow()
    return db.session.execute(
        select(
            Donation.id,
            Donation.stripe_charge_id,
            Donation.stripe_payment_intent_id,
            Donation.stripe_invoice_id,
        )
        .where(
            Donation.method == PaymentMethod.CARD,
            Donation.status.in_(SETTLED),
            Donation.processing_fee_cents.is_(None),
            or_(
                Donation.stripe_charge_id.is_not(None),
                Donation.stripe_payment_intent_id.is_not(None),
                Donation.stripe_invoice_id.is_not(None),
            ),
            Donation.created_at.between(now - LOOK_BACK, now - NOT_BEFORE),
        )
        .order_by(Donation.id)
        .limit(limit)
    ).all()


def fill_missing(limit: int = BATCH) -> int:
    """Fetch the fee of gifts that lack it; returns how many were filled in."""
    if not stripe_configured():
        return 0
    rows = missing(limit)
    db.session.rollback()  # no transaction open while Stripe answers
    filled = 0
    for donation_id, charge, payment_intent, invoice in rows:
        try:
            facts = lookups.charge_facts(
                charge=charge, payment_intent=payment_intent, invoice=invoice
            )
        except lookups.LookupFailed as exc:
            log.warning("could not fetch the fee of gift %s: %s", donation_id, exc)
            continue
        if facts is None or facts.fee_cents is None:
            continue
        filled += _keep(donation_id, facts)
    return filled


def _keep(donation_id: int, facts: lookups.ChargeFacts) -> int:
    donation = db.session.scalars(
        select(Donation).where(Donation.id == donation_id).with_for_update()
    ).one()
    if donation.processing_fee_cents is not None:
        db.session.rollback()
        return 0
    donation.stripe_charge_id = donation.stripe_charge_id or facts.charge_id
    donation.stripe_payment_intent_id = donation.stripe_payment_intent_id or (
        facts.payment_intent_id
    )
    services.set_processing_fee(donation, facts.fee_cents)
    db.session.commit()
    return 1
