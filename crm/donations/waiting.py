"""What waits for fundraisers on the home page: gifts to thank, monthly gifts past due,
failed payments of the last 30 days and pledge payments overdue."""

from datetime import timedelta

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.auth.roles import Role
from crm.donations import credits, pledge_queries
from crm.donations.models import Donation, DonationStatus, PlanStatus, RecurringPlan
from crm.donations.services import org_today
from crm.extensions import db
from crm.formats import format_date
from crm.modelbase import utcnow
from crm.payments.money import format_money
from crm.work.home import FIRST_FEW, WorkItem, WorkList, capped_count, waiting

FUNDRAISERS = (Role.FUNDRAISER,)
FAILED_DAYS = 30


@waiting("thank", FUNDRAISERS, 10)
def gifts_to_thank(user) -> WorkList:
    query = credits.to_thank_query()
    gifts = [ack.donation for ack in db.session.scalars(query.limit(FIRST_FEW))]
    items = [
        WorkItem(
            label=f"{format_money(g.amount_cents, g.currency)} from {g.contact.full_name}",
            url=url_for("donations.show", donation_id=g.id, _anchor="thanks"),
            detail=f"Received {format_date(g.received_at)}"
            + (f" · {g.campaign.name}" if g.campaign else ""),
        )  # fmt: skip
        for g in gifts
    ]
    return WorkList("thank", "Gifts to thank", capped_count(query), items,
                    more_url=url_for("donations.thanks"), more_label="Thank them in bulk",
                    empty="Every gift is thanked.")  # fmt: skip


@waiting("past_due", FUNDRAISERS, 20)
def past_due_plans(user) -> WorkList:
    query = (
        select(RecurringPlan)
        .options(selectinload(RecurringPlan.contact))
        .where(RecurringPlan.status == PlanStatus.PAST_DUE)
        .order_by(RecurringPlan.updated_at, RecurringPlan.id)
    )
    items = [
        WorkItem(
            label=f"{p.contact.full_name}: {format_money(p.amount_cents, p.currency)} a month",
            url=url_for("donations.plan", plan_id=p.id),
            detail=f"Past due since {format_date(p.updated_at, 'short')}",
            urgent=True,
        )  # fmt: skip
        for p in db.session.scalars(query.limit(FIRST_FEW))
    ]
    return WorkList("past_due", "Monthly gifts past due", capped_count(query), items,
                    more_url=url_for("donations.plans", status="past_due"),
                    empty="No monthly gift is past due.")  # fmt: skip


@waiting("failed", FUNDRAISERS, 30)
def failed_payments(user) -> WorkList:
    since = utcnow() - timedelta(days=FAILED_DAYS)
    query = (
        select(Donation)
        .options(selectinload(Donation.contact))
        .where(Donation.received_at >= since, Donation.status == DonationStatus.FAILED)
        .order_by(Donation.received_at.desc(), Donation.id.desc())
    )
    items = [
        WorkItem(
            label=f"{format_money(g.amount_cents, g.currency)} from {g.contact.full_name}",
            url=url_for("donations.show", donation_id=g.id),
            detail=f"Failed {format_date(g.received_at, 'short')}"
            + (" · monthly gift" if g.recurring_plan_id else ""),
        )  # fmt: skip
        for g in db.session.scalars(query.limit(FIRST_FEW))
    ]
    return WorkList(
        "failed",
        f"Failed payments, last {FAILED_DAYS} days",
        capped_count(query),
        items,
        more_url=url_for(
            "donations.index",
            status="failed",
            date_from=(org_today() - timedelta(days=FAILED_DAYS)).isoformat(),
        ),
        empty="No payment failed.",
    )


@waiting("pledges", FUNDRAISERS, 40)
def pledges_overdue(user) -> WorkList:
    count, rows = pledge_queries.overdue(org_today(), FIRST_FEW)
    items = [
        WorkItem(
            label=f"{pledge.contact.full_name}: "
            f"{format_money(pledge.balance_cents, pledge.currency)} to come",
            url=url_for("donations.pledge", pledge_id=pledge.id),
            detail=f"Payment due {format_date(pledge.next_due_on)}",
            urgent=True,
        )  # fmt: skip
        for pledge in rows
    ]
    return WorkList("pledges", "Pledge payments overdue", count, items,
                    more_url=url_for("donations.pledge_list", overdue="overdue"),
                    empty="No pledge payment is overdue.")  # fmt: skip
