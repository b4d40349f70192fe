"""Pledges: the schedule, payments applied, balance, next due date, write-off, and the
figures per campaign. The caller commits.

What a payment counts is at most what is left of its gift: a refund of an applied gift
lowers what the pledge has received, and a fulfilled pledge opens again."""

import calendar
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import bindparam, case, func, literal, select, update

from crm.contacts.models import Contact
from crm.donations.models import Donation, DonationStatus
from crm.donations.pledge_models import (
    PLEDGE_TRANSITIONS,
    Pledge,
    PledgeFrequency,
    PledgeInstalment,
    PledgePayment,
    PledgeStatus,
)
from crm.donations.services import DonationError, org_today
from crm.extensions import db
from crm.modelbase import utcnow

MAX_INSTALMENTS = 120
# A gift that failed or went back in full pays nothing.
PAYING = (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED, DonationStatus.PENDING)


def effective_cents():
    """What one payment counts, in SQL: its amount, at most what is left of the gift."""
    left = Donation.amount_cents - Donation.refunded_cents
    capped = case((PledgePayment.amount_cents < left, PledgePayment.amount_cents), else_=left)
    return case((Donation.status.in_(PAYING), capped), else_=literal(0))


def paid_query():
    return (
        select(PledgePayment.pledge_id, func.sum(effective_cents()).label("paid"))
        .join(Donation, Donation.id == PledgePayment.donation_id)
        .group_by(PledgePayment.pledge_id)
    )


# --- the schedule -----------------------------------------------------------------------------


def add_months(day: date, n: int) -> date:
    """The same day n months later, or the month's last day (31 Jan + 1 month: 28/29 Feb)."""
    months = day.year * 12 + day.month - 1 + n
    year, month = divmod(months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def schedule(amount_cents: int, first_due_on: date, frequency: PledgeFrequency, count: int):
    """[(due date, amount)]: equal instalments, the odd cents on the first ones."""
    if frequency == PledgeFrequency.ONCE:
        count = 1
    if not 1 <= count <= MAX_INSTALMENTS:
        raise DonationError(f"Choose from 1 to {MAX_INSTALMENTS} instalments.")
    if amount_cents < count:
        raise DonationError("The amount is too small to split into that many instalments.")
    share, odd = divmod(amount_cents, count)
    return [
        (add_months(first_due_on, i * frequency.months), share + (1 if i < odd else 0))
        for i in range(count)
    ]


@dataclass
class PledgeData:
    amount_cents: int
    pledged_on: date
    first_due_on: date
    frequency: PledgeFrequency
    instalments: int
    campaign_id: int | None = None
    fund_id: int | None = None
    note: str | None = None


def create_pledge(contact: Contact, data: PledgeData) -> Pledge:
    if data.first_due_on < data.pledged_on:
        raise DonationError("The first payment cannot be due before the pledge was made.")
    if data.pledged_on > org_today():
        raise DonationError("The date of the pledge cannot be in the future.")
    parts = schedule(data.amount_cents, data.first_due_on, data.frequency, data.instalments)
    pledge = Pledge(
        contact=contact, amount_cents=data.amount_cents, currency=current_app.config["CURRENCY"],
        pledged_on=data.pledged_on, frequency=data.frequency, campaign_id=data.campaign_id,
        fund_id=data.fund_id, note=data.note or None,
        instalments=[PledgeInstalment(due_on=d, amount_cents=c) for d, c in parts],
        received_cents=0, next_due_on=parts[0][0],
    )  # fmt: skip
    db.session.add(pledge)
    db.session.flush()
    return pledge


# --- where a pledge stands --------------------------------------------------------------------


@dataclass
class InstalmentState:
    instalment: PledgeInstalment
    paid_cents: int
    overdue: bool

    @property
    def label(self) -> str:
        if self.paid_cents >= self.instalment.amount_cents:
            return "Paid"
        if self.paid_cents:
            return "Part paid" + (", overdue" if self.overdue else "")
        return "Overdue" if self.overdue else "Due"


@dataclass
class PledgeState:
    paid_cents: int
    balance_cents: int
    next_due: date | None
    next_due_cents: int
    overdue: bool
    instalments: list[InstalmentState] = field(default_factory=list)


def state_of(pledge: Pledge, paid: int, today: date | None = None) -> PledgeState:
    """Payments cover the instalments in date order; the first not covered is next."""
    today = today or org_today()
    balance = 0 if pledge.status == PledgeStatus.WRITTEN_OFF else max(
        pledge.amount_cents - paid - pledge.written_off_cents, 0
    )  # fmt: skip
    left, states, next_due, next_cents = paid, [], None, 0
    for instalment in pledge.instalments:
        covered = min(left, instalment.amount_cents)
        left -= covered
        overdue = covered < instalment.amount_cents and instalment.due_on < today
        states.append(InstalmentState(instalment, covered, overdue))
        if next_due is None and covered < instalment.amount_cents and balance:
            next_due, next_cents = instalment.due_on, instalment.amount_cents - covered
    overdue = next_due is not None and next_due < today
    return PledgeState(paid, balance, next_due, next_cents, overdue, states)


# --- payments and write-offs ------------------------------------------------------------------


def _set_status(pledge: Pledge, status: PledgeStatus) -> None:
    if status != pledge.status:
        if status not in PLEDGE_TRANSITIONS[pledge.status]:
            raise DonationError(f"A {pledge.status.value.replace('_', ' ')} pledge cannot change.")
        pledge.status = status


def apply_payment(pledge: Pledge, donation: Donation, amount_cents: int | None, user):
    if pledge.status != PledgeStatus.OPEN:
        raise DonationError("Payments can only be applied to an open pledge.")
    if donation.contact_id != pledge.contact_id:
        raise DonationError("The gift is from someone else: apply gifts of the pledge's donor.")
    if donation.status not in PAYING:
        raise DonationError("A gift that failed or was refunded in full cannot pay a pledge.")
    if donation.currency != pledge.currency:
        raise DonationError("The gift is in another currency than the pledge.")
    if db.session.scalar(select(PledgePayment.id).where(PledgePayment.donation_id == donation.id)):
        raise DonationError("This gift has already been applied to a pledge.")
    balance = pledge.balance_cents
    left = donation.amount_cents - donation.refunded_cents
    amount = amount_cents if amount_cents is not None else min(left, balance)
    if amount <= 0 or amount > left:
        raise DonationError("Apply an amount more than zero and no more than the gift.")
    if amount > balance:
        raise DonationError("That is more than the pledge's balance.")
    payment = PledgePayment(pledge=pledge, donation=donation, amount_cents=amount,
                            applied_by_id=getattr(user, "id", None))  # fmt: skip
    db.session.add(payment)
    db.session.flush()
    _refresh_one(pledge)
    return payment


def remove_payment(payment: PledgePayment) -> None:
    pledge = payment.pledge
    if pledge.status == PledgeStatus.WRITTEN_OFF:
        raise DonationError("The pledge was written off; its payments stay as they were.")
    db.session.delete(payment)
    db.session.flush()
    _refresh_one(pledge)


def write_off(pledge: Pledge, reason: str, user) -> int:
    """Give up what is left, with the reason; returns the amount written off."""
    if pledge.status != PledgeStatus.OPEN:
        raise DonationError("Only an open pledge can be written off.")
    if not (reason or "").strip():
        raise DonationError("Say why the rest of the pledge will not come.")
    balance = pledge.balance_cents
    pledge.written_off_cents, pledge.next_due_on = balance, None
    pledge.write_off_reason = reason.strip()[:500]
    pledge.written_off_at, pledge.written_off_by_id = utcnow(), getattr(user, "id", None)
    _set_status(pledge, PledgeStatus.WRITTEN_OFF)
    db.session.flush()
    return balance


def next_due(instalments, paid: int) -> date | None:
    """The first (due date, amount) instalment that what was paid does not cover."""
    left = paid
    for due_on, cents in sorted(instalments):
        covered = min(left, cents)
        left -= covered
        if covered < cents:
            return due_on
    return None


def refresh(conn, pledge_ids: list[int]) -> None:
    """Work out again what these pledges received, their next due date and whether they are
    open or fulfilled, from their payments and gifts. Core statements only, so that it also
    runs inside a flush (a refund of an applied gift); written-off pledges stay as they are."""
    ids = sorted(set(pledge_ids))
    if not ids:
        return
    paid = dict(conn.execute(paid_query().where(PledgePayment.pledge_id.in_(ids))).all())
    schedules = {}
    rows = conn.execute(select(PledgeInstalment.pledge_id, PledgeInstalment.due_on,
                               PledgeInstalment.amount_cents)
                        .where(PledgeInstalment.pledge_id.in_(ids)))  # fmt: skip
    for pledge_id, due_on, cents in rows:
        schedules.setdefault(pledge_id, []).append((due_on, cents))
    changes = []
    for pledge_id, amount, status in conn.execute(
        select(Pledge.id, Pledge.amount_cents, Pledge.status).where(Pledge.id.in_(ids))
    ):
        received = int(paid.get(pledge_id) or 0)
        if status != PledgeStatus.WRITTEN_OFF:
            status = PledgeStatus.FULFILLED if received >= amount else PledgeStatus.OPEN
        due = next_due(schedules.get(pledge_id, []), received)
        changes.append({"pid": pledge_id, "received": received, "status": status,
                        "due": due if status == PledgeStatus.OPEN else None})  # fmt: skip
    table = Pledge.__table__
    conn.execute(
        update(table)
        .where(table.c.id == bindparam("pid"))
        .values(
            received_cents=bindparam("received"),
            status=bindparam("status"),
            next_due_on=bindparam("due"),
        ),  # fmt: skip
        changes,
    )


def _refresh_one(pledge: Pledge) -> None:
    refresh(db.session.connection(), [pledge.id])
    db.session.expire(pledge, ["received_cents", "status", "next_due_on"])


def pledges_paid_by(donation_ids: list[int]):
    return select(PledgePayment.pledge_id).where(PledgePayment.donation_id.in_(donation_ids))
