"""Pledges in lists and in sums, computed by the database: each pledge's received amount and
next due date (the first instalment that what was paid does not cover), one query per list
page or per tile whatever the number of pledges, instalments or payments."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import joinedload

from crm.donations.models import Campaign
from crm.donations.pledge_models import Pledge, PledgeInstalment, PledgeStatus
from crm.donations.pledges import paid_query
from crm.extensions import db


def _columns():
    paid = paid_query().subquery()
    received = func.coalesce(paid.c.paid, 0)
    through = select(
        PledgeInstalment.pledge_id,
        PledgeInstalment.due_on,
        func.sum(PledgeInstalment.amount_cents)
        .over(
            partition_by=PledgeInstalment.pledge_id,
            order_by=(PledgeInstalment.due_on, PledgeInstalment.id),
        )
        .label("through"),
    ).subquery()  # fmt: skip
    paid_for_next = paid_query().subquery()
    next_due = (
        select(through.c.pledge_id, func.min(through.c.due_on).label("next_due"))
        .outerjoin(paid_for_next, paid_for_next.c.pledge_id == through.c.pledge_id)
        .where(through.c.through > func.coalesce(paid_for_next.c.paid, 0))
        .group_by(through.c.pledge_id)
        .subquery()
    )
    open_ = Pledge.status == PledgeStatus.OPEN
    balance = case((open_, Pledge.amount_cents - Pledge.written_off_cents - received), else_=0)
    due = case((open_, next_due.c.next_due), else_=None)
    return paid, next_due, received, balance, due


def pledge_list(
    status: str = "open", campaign_id: int | None = None, overdue_on: date | None = None,
    sort: str = "next_due", contact_id: int | None = None,
) -> Select:  # fmt: skip
    """Rows of (Pledge, received, balance, next due)."""
    paid, next_due, received, balance, due = _columns()
    query = (
        select(Pledge, received.label("received"), balance.label("balance"), due.label("next_due"))
        .outerjoin(paid, paid.c.pledge_id == Pledge.id)
        .outerjoin(next_due, next_due.c.pledge_id == Pledge.id)
        .options(joinedload(Pledge.contact), joinedload(Pledge.campaign))
    )
    if status in {s.value for s in PledgeStatus}:
        query = query.where(Pledge.status == PledgeStatus(status))
    if campaign_id:
        query = query.where(Pledge.campaign_id == campaign_id)
    if contact_id:
        query = query.where(Pledge.contact_id == contact_id)
    if overdue_on:
        query = query.where(Pledge.status == PledgeStatus.OPEN, next_due.c.next_due < overdue_on)
    order = {
        "newest": (Pledge.pledged_on.desc(), Pledge.id.desc()),
        "amount": (Pledge.amount_cents.desc(), Pledge.id),
    }.get(sort, (due.is_(None), due, Pledge.id))
    return query.order_by(*order)


@dataclass
class CampaignPledges:
    campaign: Campaign | None
    pledges: int
    pledged_cents: int
    received_cents: int
    written_off_cents: int
    outstanding_cents: int


def totals_by_campaign(campaign_id: int | None = None, limit: int = 8) -> list[CampaignPledges]:
    """Pledged, received, written off and outstanding per campaign with pledges (or the
    chosen one), most outstanding first."""
    paid, _, received, balance, _ = _columns()
    outstanding = func.sum(balance)
    query = (
        select(
            Pledge.campaign_id,
            func.count(Pledge.id),
            func.sum(Pledge.amount_cents),
            func.sum(received),
            func.sum(Pledge.written_off_cents),
            outstanding,
        )  # fmt: skip
        .outerjoin(paid, paid.c.pledge_id == Pledge.id)
        .group_by(Pledge.campaign_id)
        .order_by(outstanding.desc(), Pledge.campaign_id)
    )
    query = query.where(Pledge.campaign_id == campaign_id) if campaign_id else query.limit(limit)
    rows = db.session.execute(query).all()
    ids = [r[0] for r in rows if r[0]]
    campaigns = {c.id: c for c in db.session.scalars(select(Campaign).where(Campaign.id.in_(ids)))}
    return [
        CampaignPledges(
            campaigns.get(r[0]),
            int(r[1]),
            int(r[2] or 0),
            int(r[3] or 0),
            int(r[4] or 0),
            max(int(r[5] or 0), 0),
        )  # fmt: skip
        for r in rows
    ]


def overdue(today: date, limit: int = 5) -> tuple[int, list]:
    """Open pledges with a payment past due: how many, and the longest overdue."""
    query = pledge_list(overdue_on=today)
    count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return count, db.session.execute(query.limit(limit)).all()
