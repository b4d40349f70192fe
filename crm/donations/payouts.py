"""Reconciling a Stripe payout: fetch every balance transaction it carried, tie each to its
gift, refund or dispute, fill in fees the gifts lack, and compare the sum with the amount
that reached the bank. All or nothing: a payout whose transactions cannot all be fetched is
marked incomplete (with the reason) and tried again later, never balanced."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import selectinload

from crm.donations import services
from crm.donations.ledger_models import LineKind, Payout, PayoutLine, PayoutStatus
from crm.donations.models import Dispute, Donation, Refund
from crm.donations.payout_checks import differences
from crm.extensions import db
from crm.modelbase import utcnow
from crm.payments import lookups
from crm.payments.money import from_stripe_amount
from crm.payments.payloads import id_of, timestamp

log = logging.getLogger("crm.donations.payouts")

LOST_AFTER = timedelta(minutes=5)
KIND_BY_TYPE = {
    "charge": LineKind.GIFT,
    "payment": LineKind.GIFT,
    "refund": LineKind.REFUND,
    "payment_refund": LineKind.REFUND,
    "payment_failure_refund": LineKind.REFUND,
    "stripe_fee": LineKind.FEE,
    "tax_fee": LineKind.FEE,
    "payout": LineKind.PAYOUT,
}
DISPUTE_CATEGORIES = {"dispute", "dispute_reversal"}


def line_kind(stripe_type: str, category: str | None) -> LineKind:
    if category in DISPUTE_CATEGORIES or stripe_type.startswith("dispute"):
        return LineKind.DISPUTE
    return KIND_BY_TYPE.get(stripe_type, LineKind.ADJUSTMENT)


def reconcile_and_commit(payout_id: int) -> PayoutStatus:
    payout = db.session.get(Payout, payout_id)
    if payout is None:
        return PayoutStatus.INCOMPLETE
    stripe_id = payout.stripe_payout_id
    db.session.rollback()  # hold nothing while Stripe answers
    fetched: list[dict] = []
    try:
        for transaction in lookups.payout_transactions(stripe_id):
            fetched.append(transaction)
    except lookups.LookupFailed as exc:
        reason = f"Fetched {len(fetched)} transactions, then Stripe answered: {exc}"
        return _incomplete(payout_id, reason)
    try:
        return _record(payout_id, fetched)
    except Exception as exc:  # nothing half-written: the lines go with the rollback
        db.session.rollback()
        log.exception("could not record the transactions of payout %s", stripe_id)
        return _incomplete(payout_id, f"Could not record the transactions: {exc}")


def _record(payout_id: int, fetched: list[dict]) -> PayoutStatus:
    payout = db.session.scalars(
        select(Payout).where(Payout.id == payout_id).with_for_update()
    ).one()
    db.session.execute(delete(PayoutLine).where(PayoutLine.payout_id == payout.id))
    with db.session.no_autoflush:
        lines = [_line(payout, transaction) for transaction in fetched]
    db.session.add_all(lines)
    db.session.flush()
    total = sum(line.net_cents for line in lines if line.kind != LineKind.PAYOUT)
    payout.status = PayoutStatus.BALANCED  # so far: every transaction is here
    balanced = total == payout.amount_cents and not differences(payout, lines, total)
    payout.status = PayoutStatus.BALANCED if balanced else PayoutStatus.UNBALANCED
    payout.error = None
    payout.next_attempt_at = None
    payout.fetched_at = utcnow()
    db.session.commit()
    return payout.status


def _incomplete(payout_id: int, reason: str) -> PayoutStatus:
    payout = db.session.get(Payout, payout_id)
    payout.status = PayoutStatus.INCOMPLETE
    payout.error = reason[:1000]
    payout.attempts += 1
    payout.next_attempt_at = utcnow() + timedelta(minutes=min(2**payout.attempts, 360))
    db.session.commit()
    log.warning("payout %s is incomplete: %s", payout.stripe_payout_id, reason)
    return PayoutStatus.INCOMPLETE


def _line(payout: Payout, transaction: dict) -> PayoutLine:
    currency = (transaction.get("currency") or payout.currency).upper()
    source = transaction.get("source")
    line = PayoutLine(
        payout=payout,
        balance_transaction_id=transaction["id"],
        stripe_type=transaction.get("type") or "unknown",
        category=transaction.get("reporting_category"),
        source_id=id_of(source),
        description=(transaction.get("description") or "")[:500] or None,
        amount_cents=from_stripe_amount(transaction.get("amount"), currency),
        fee_cents=from_stripe_amount(transaction.get("fee"), currency),
        net_cents=from_stripe_amount(transaction.get("net"), currency),
        currency=currency,
        created_at=timestamp(transaction.get("created")) or utcnow(),
    )
    line.kind = line_kind(line.stripe_type, line.category)
    _match(line, source if isinstance(source, dict) else {})
    return line


def _match(line: PayoutLine, source: dict) -> None:
    """Tie the line to the CRM's record of it; a gift without a processing fee takes it."""
    ref = line.source_id or ""
    if line.kind == LineKind.GIFT:
        line.donation = _gift(ref, id_of(source.get("payment_intent")))
        if line.donation is not None and line.donation.processing_fee_cents is None:
            services.set_processing_fee(line.donation, line.fee_cents)
    elif line.kind == LineKind.REFUND:
        line.refund = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == ref))
        charge = id_of(source.get("charge"))
        line.donation = line.refund.donation if line.refund else _gift(charge, None)
    elif line.kind == LineKind.DISPUTE:
        dispute_id = ref if ref.startswith("dp_") else id_of(source.get("dispute"))
        line.dispute = db.session.scalar(
            select(Dispute).where(Dispute.stripe_dispute_id == dispute_id)
        )
        line.donation = line.dispute.donation if line.dispute else None


def _gift(charge: str | None, payment_intent: str | None) -> Donation | None:
    matches = [Donation.stripe_charge_id == charge] if charge else []
    if payment_intent:
        matches.append(Donation.stripe_payment_intent_id == payment_intent)
    return db.session.scalars(select(Donation).where(or_(*matches))).first() if matches else None


def retry_incomplete() -> int:
    """Fetch again the payouts that were incomplete (when their pause is over) or whose job
    was lost."""
    now = utcnow()
    ids = db.session.scalars(
        select(Payout.id).where(
            or_(
                (Payout.status == PayoutStatus.INCOMPLETE) & (Payout.next_attempt_at <= now),
                (Payout.status == PayoutStatus.FETCHING) & (Payout.created_at < now - LOST_AFTER),
            )
        )
    ).all()
    db.session.rollback()
    return sum(reconcile_and_commit(i) == PayoutStatus.BALANCED for i in ids)


# --- reading a payout --------------------------------------------------------------------


@dataclass
class Section:
    kind: LineKind
    lines: list[PayoutLine] = field(default_factory=list)
    amount_cents: int = 0
    fee_cents: int = 0
    net_cents: int = 0


@dataclass
class Reconciliation:
    payout: Payout
    sections: list[Section]
    total_cents: int  # what the transactions add up to
    differences: list[str]

    @property
    def difference_cents(self) -> int:
        return self.payout.amount_cents - self.total_cents


def reconciliation(payout: Payout) -> Reconciliation:
    """The payout's transactions by kind, their sum against the amount paid, and every
    difference between Stripe's figures and the CRM's."""
    lines = load_lines(payout.id)
    sections = {kind: Section(kind) for kind in LineKind if kind != LineKind.PAYOUT}
    for line in lines:
        if line.kind == LineKind.PAYOUT:
            continue
        section = sections[line.kind]
        section.lines.append(line)
        section.amount_cents += line.amount_cents
        section.fee_cents += line.fee_cents
        section.net_cents += line.net_cents
    total = sum(s.net_cents for s in sections.values())
    found = differences(payout, lines, total)
    return Reconciliation(payout, [s for s in sections.values() if s.lines], total, found)


def load_lines(payout_id: int) -> list[PayoutLine]:
    """Every line with its gift, donor, fund, campaign, refund and dispute: a fixed number of
    statements whatever the payout's size."""
    return db.session.scalars(
        select(PayoutLine)
        .where(PayoutLine.payout_id == payout_id)
        .order_by(PayoutLine.created_at, PayoutLine.id)
        .options(
            selectinload(PayoutLine.donation).selectinload(Donation.contact),
            selectinload(PayoutLine.donation).selectinload(Donation.fund),
            selectinload(PayoutLine.donation).selectinload(Donation.campaign),
            selectinload(PayoutLine.refund),
            selectinload(PayoutLine.dispute),
        )
    ).all()
