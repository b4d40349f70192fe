"""Disputes: the donor's bank contests a charge. Staff are alerted with the date Stripe needs
the evidence by; Stripe's dispute fee (and its return when the dispute is won) is counted in
the gift's fees; a lost dispute is a chargeback — money the bank took back, not a refund we
gave — and the receipt is corrected like after a refund."""

from sqlalchemy import select

from crm.donations import services
from crm.donations.alerts import email_staff
from crm.donations.events import Context, handles, locked
from crm.donations.events.charges import gift_of, refund
from crm.donations.models import Dispute, DisputeStatus, Donation, RefundKind
from crm.donations.receipts import public_url
from crm.extensions import db
from crm.main.templating import localtime
from crm.modelbase import utcnow
from crm.payments import payloads
from crm.payments.money import format_money
from crm.payments.payloads import id_of


@handles(
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)
def dispute_changed(obj: dict, event: dict, ctx: Context) -> None:
    donation = gift_of(obj, id_of(obj.get("charge")))
    outcome = payloads.dispute_outcome(obj.get("status"))
    dispute = locked(select(Dispute).where(Dispute.stripe_dispute_id == obj["id"]))
    opened = dispute is None
    if opened:
        dispute = _open(donation, obj)
    due = (obj.get("evidence_details") or {}).get("due_by")
    dispute.evidence_due_at = payloads.timestamp(due) or dispute.evidence_due_at
    _keep_fees(donation, dispute, obj)
    if opened and outcome == "open":
        _alert_staff(donation, dispute, "opened")
    if dispute.status != DisputeStatus.OPEN or outcome == "open":
        return  # still open, or settled already: a late "created" changes nothing
    dispute.status = DisputeStatus.WON if outcome == "won" else DisputeStatus.LOST
    dispute.closed_at = payloads.timestamp(event.get("created")) or utcnow()
    if dispute.status == DisputeStatus.LOST:
        refund(donation, dispute.amount_cents, dispute.stripe_dispute_id, "Dispute lost",
               kind=RefundKind.CHARGEBACK, dispute_id=dispute.id)  # fmt: skip
    donation.disputed = any(d.status == DisputeStatus.OPEN for d in donation.disputes)
    db.session.flush()
    _alert_staff(donation, dispute, dispute.status.value)


def _open(donation: Donation, obj: dict) -> Dispute:
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
    return dispute


def _keep_fees(donation: Donation, dispute: Dispute, obj: dict) -> None:
    """The dispute's fee and its return, from the balance transactions Stripe lists on it
    (each event lists them all so far: they only grow)."""
    charged, returned = payloads.dispute_fees(obj, donation.currency)
    before = (dispute.fee_cents or 0) - (dispute.fee_returned_cents or 0)
    dispute.fee_cents = max(charged, dispute.fee_cents or 0)
    dispute.fee_returned_cents = max(returned, dispute.fee_returned_cents or 0)
    services.add_dispute_fees(donation, dispute.fee_cents - dispute.fee_returned_cents - before)


def _alert_staff(donation: Donation, dispute: Dispute, what: str) -> None:
    """Email fundraisers and admins: a dispute needs evidence by a date, or has ended."""
    currency = donation.currency
    amount = format_money(dispute.amount_cents, currency)
    subject = {
        "opened": f"Dispute opened: {amount} on gift #{donation.id}",
        "lost": f"Dispute lost: {amount} charged back on gift #{donation.id}",
        "won": f"Dispute won: {amount} on gift #{donation.id} stands",
    }[what]
    due = localtime(dispute.evidence_due_at, "%A %-d %B %Y, %H:%M %Z") or None
    email_staff(
        "staff_alert",
        subject,
        what=what,
        donation=donation,
        dispute=dispute,
        amount=amount,
        evidence_due=due,
        fee=format_money(dispute.fee_cents, currency) if dispute.fee_cents else None,
        fee_returned=format_money(dispute.fee_returned_cents, currency)
        if dispute.fee_returned_cents
        else None,
        url=public_url("donations.show", donation_id=donation.id),
        stripe_url=f"https://dashboard.stripe.com/disputes/{dispute.stripe_dispute_id}",
    )
