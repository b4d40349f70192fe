"""Payouts: `payout.paid` records the money Stripe sent to the bank; its balance
transactions are fetched and reconciled by a job (crm/donations/payouts.py)."""

from sqlalchemy import select

from crm.donations.events import Context, handles, locked
from crm.donations.ledger_models import Payout, PayoutStatus
from crm.extensions import db
from crm.jobs import enqueue_after_commit
from crm.payments import payloads


@handles("payout.paid")
def payout_paid(obj: dict, event: dict, ctx: Context) -> None:
    payout = locked(select(Payout).where(Payout.stripe_payout_id == obj["id"]))
    currency = payloads.currency_of(obj, "USD")
    if payout is None:
        payout = Payout(stripe_payout_id=obj["id"], status=PayoutStatus.FETCHING)
        db.session.add(payout)
    elif payout.status == PayoutStatus.BALANCED:
        return  # reconciled already; a repeated event changes nothing
    payout.amount_cents = payloads.amount(obj, "amount", currency) or 0
    payout.currency = currency
    payout.arrival_at = payloads.timestamp(obj.get("arrival_date"))
    db.session.flush()
    enqueue_after_commit("reconcile_payout", payout.id)
