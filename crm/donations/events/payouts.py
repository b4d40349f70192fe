"""Payouts: `payout.paid` records the money Stripe sent to the bank; its balance
transactions are fetched and reconciled by a job (crm/donations/payouts.py). `payout.failed`
(the bank refused it, sometimes days after Stripe said "paid") marks it failed and emails
staff: the money is back in the Stripe balance, and a later payout carries it again."""

from sqlalchemy import select

from crm.donations.alerts import email_staff
from crm.donations.events import Context, handles, locked
from crm.donations.ledger_models import Payout, PayoutStatus
from crm.donations.receipts import public_url
from crm.extensions import db
from crm.jobs import enqueue_after_commit
from crm.payments import payloads
from crm.payments.money import format_money


def _find(obj: dict) -> Payout | None:
    """The payout already recorded, locked until the transaction ends."""
    return locked(select(Payout).where(Payout.stripe_payout_id == obj["id"]))


def _record(payout: Payout | None, obj: dict) -> Payout:
    """The payout (recorded now if it is new) with Stripe's amount and arrival."""
    if payout is None:
        payout = Payout(stripe_payout_id=obj["id"], status=PayoutStatus.FETCHING)
        db.session.add(payout)
    currency = payloads.currency_of(obj, "USD")
    payout.amount_cents = payloads.amount(obj, "amount", currency) or 0
    payout.currency = currency
    payout.arrival_at = payloads.timestamp(obj.get("arrival_date")) or payout.arrival_at
    return payout


@handles("payout.paid")
def payout_paid(obj: dict, event: dict, ctx: Context) -> None:
    payout = _find(obj)
    if payout is not None and payout.status == PayoutStatus.BALANCED:
        return  # reconciled already; a repeated event changes nothing
    payout = _record(payout, obj)
    db.session.flush()
    enqueue_after_commit("reconcile_payout", payout.id)


@handles("payout.failed")
def payout_failed(obj: dict, event: dict, ctx: Context) -> None:
    found = _find(obj)
    payout = _record(found, obj)
    if payout.failed_at is not None:
        return  # told already
    payout.failed_at = payloads.timestamp(event.get("created")) or ctx.received_at
    reason = ": ".join(p for p in (obj.get("failure_code"), obj.get("failure_message")) if p)
    payout.failure = reason[:500] or "Stripe gave no reason"
    db.session.flush()
    if found is None:  # not told "paid" yet: fetch what it carried all the same
        enqueue_after_commit("reconcile_payout", payout.id)
    amount = format_money(payout.amount_cents, payout.currency)
    email_staff(
        "payout_failed",
        f"Payout failed: {amount} did not reach the bank",
        payout=payout,
        amount=amount,
        url=public_url("donations.payout", payout_id=payout.id),
        stripe_url=f"https://dashboard.stripe.com/payouts/{payout.stripe_payout_id}",
    )
