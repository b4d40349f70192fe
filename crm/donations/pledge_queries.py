"""Pledges in lists and in sums, from what each pledge keeps of its payments (received, next
due date; see pledges.refresh): a page or a tile reads the pledges alone, whatever the number
of instalments, payments or gifts."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import selectinload

from crm.donations.models import Campaign
from crm.donations.pledge_models import Pledge, PledgeStatus
from crm.extensions import db
from crm.work.home import capped_count

OPEN = Pledge.status == PledgeStatus.OPEN
BALANCE = case((OPEN, Pledge.amount_cents - Pledge.received_cents - Pledge.written_off_cents),
               else_=0)  # fmt: skip


def pledge_list(
    status: str = "open", campaign_id: int | None = None, overdue_on: date | None = None,
    sort: str = "next_due", contact_id: int | None = None,
) -> Select:  # fmt: skip
    query = select(Pledge).options(selectinload(Pledge.contact), selectinload(Pledge.campaign))
    if status in {s.value for s in PledgeStatus}:
        query = query.where(Pledge.status == PledgeStatus(status))
    if campaign_id:
        query = query.where(Pledge.campaign_id == campaign_id)
    if contact_id:
        query = query.where(Pledge.contact_id == contact_id)
    if overdue_on:
        query = query.where(OPEN, Pledge.next_due_on < overdue_on)
    order = {
        "newest": (Pledge.pledged_on.desc(), Pledge.id.desc()),
        "amount": (Pledge.amount_cents.desc(), Pledge.id),
    }.get(sort, (Pledge.next_due_on.is_(None), Pledge.next_due_on, Pledge.id))
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
    outstanding = func.sum(BALANCE)
    query = (
        select(
            Pledge.campaign_id,
            func.count(Pledge.id),
            func.sum(Pledge.amount_cents),
            func.sum(Pledge.received_cents),
            func.sum(Pledge.written_off_cents),
            outstanding,
        )  # fmt: skip
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


def overdue(today: date, limit: int = 5) -> tuple[int, list[Pledge]]:
    """Open pledges with a payment past due: how many (up to the home page's cap), and the
    longest overdue."""
    query = pledge_list(overdue_on=today)
    return capped_count(query), list(db.session.scalars(query.limit(limit)))


def open_totals(contact_id: int) -> tuple[int, int]:
    """(open pledges, what is left of them) of one donor."""
    count, left = db.session.execute(
        select(func.count(Pledge.id), func.coalesce(func.sum(BALANCE), 0))
        .where(Pledge.contact_id == contact_id, OPEN)
    ).one()  # fmt: skip
    return int(count), max(int(left), 0)
