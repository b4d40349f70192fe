"""A donor's giving at a glance, and a household's: a fixed handful of queries whatever the
history (a donor with 2,000 gifts costs what a donor with two does).

Definitions, the dashboard's: a gift counts unless it failed; what it gives is its amount less
refunds; a gift refunded in full is not counted among the gifts. A person's own giving leaves
out employers' matches recorded on their record (the employer gave those; they are shown
apart), and never includes soft credits (recognition, not money). A household's giving is
its members' gifts, each counted once, whoever else a gift credits."""

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, func, select

from crm.contacts.models import Contact
from crm.donations.credit_models import MatchingGift, SoftCredit
from crm.donations.credits import soft_credit_totals
from crm.donations.models import Donation, DonationStatus, PlanStatus, RecurringPlan
from crm.donations.pledge_queries import open_totals
from crm.donations.services import org_today
from crm.extensions import db

GIVING = Donation.status != DonationStatus.FAILED
COUNTED = Donation.status.notin_((DonationStatus.FAILED, DonationStatus.REFUNDED))


def fiscal_year_start(day: date) -> date:
    month = current_app.config["FISCAL_YEAR_START_MONTH"]
    year = day.year if day.month >= month else day.year - 1
    return date(year, month, 1)


def _instant(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(current_app.config["ORG_TIMEZONE"]))


@dataclass
class Totals:
    gifts: int = 0
    given_cents: int = 0
    this_fy_cents: int = 0
    last_fy_cents: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    largest_cents: int = 0


@dataclass
class GivingSummary:
    totals: Totals
    fiscal_year: date  # the first day of this fiscal year
    largest: Donation | None
    plan: RecurringPlan | None
    matched_cents: int
    matched_gifts: int
    soft_credit_cents: int
    soft_credits: int
    open_pledges: int
    pledge_balance_cents: int
    currency: str


def own_gifts(contact_ids):
    """The gifts people gave themselves: not an employer's match recorded on their record."""
    matches = select(MatchingGift.donation_id)
    return and_(Donation.contact_id.in_(contact_ids), GIVING, Donation.id.notin_(matches))


def totals(contact_ids) -> Totals:
    this_fy = fiscal_year_start(org_today())
    start, last_start = _instant(this_fy), _instant(this_fy.replace(year=this_fy.year - 1))
    given = Donation.amount_cents - Donation.refunded_cents
    row = db.session.execute(
        select(
            func.count(Donation.id).filter(COUNTED),
            func.coalesce(func.sum(given), 0),
            func.coalesce(func.sum(case((Donation.received_at >= start, given), else_=0)), 0),
            func.coalesce(
                func.sum(
                    case(
                        (
                            and_(Donation.received_at >= last_start, Donation.received_at < start),
                            given,
                        ),
                        else_=0,
                    )
                ),
                0,
            ),  # fmt: skip
            func.min(Donation.received_at).filter(COUNTED),
            func.max(Donation.received_at).filter(COUNTED),
            func.coalesce(func.max(given), 0),
        ).where(own_gifts(contact_ids))
    ).one()
    return Totals(int(row[0]), int(row[1]), int(row[2]), int(row[3]), row[4], row[5], int(row[6]))


def giving_summary(contact_id: int) -> GivingSummary:
    ids = [contact_id]
    sums = totals(ids)
    largest = (
        db.session.scalar(
            select(Donation)
            .where(own_gifts(ids), COUNTED)
            .order_by(
                (Donation.amount_cents - Donation.refunded_cents).desc(), Donation.received_at
            )
            .limit(1)
        )
        if sums.gifts
        else None
    )
    given = Donation.amount_cents - Donation.refunded_cents
    matched = db.session.execute(
        select(func.count(Donation.id), func.coalesce(func.sum(given), 0))
        .join(MatchingGift, MatchingGift.donation_id == Donation.id)
        .where(Donation.contact_id == contact_id, GIVING)
    ).one()
    credit = db.session.execute(
        soft_credit_totals().where(SoftCredit.contact_id == contact_id)
    ).first()
    pledges = open_totals(contact_id)
    return GivingSummary(
        totals=sums, fiscal_year=fiscal_year_start(org_today()), largest=largest,
        plan=current_plan(contact_id), matched_cents=int(matched[1]), matched_gifts=int(matched[0]),
        soft_credit_cents=int(credit.soft_credit_cents) if credit else 0,
        soft_credits=int(credit.soft_credited_gifts) if credit else 0,
        open_pledges=pledges[0], pledge_balance_cents=pledges[1],
        currency=current_app.config["CURRENCY"],
    )  # fmt: skip


def current_plan(contact_id: int) -> RecurringPlan | None:
    """The running plan, else the latest one."""
    running = case((RecurringPlan.status.in_((PlanStatus.ACTIVE, PlanStatus.PAST_DUE)), 0), else_=1)
    return db.session.scalar(
        select(RecurringPlan)
        .where(RecurringPlan.contact_id == contact_id)
        .order_by(running, RecurringPlan.created_at.desc(), RecurringPlan.id.desc())
        .limit(1)
    )


def household_totals(household_id: int) -> Totals:
    return totals(select(Contact.id).where(Contact.household_id == household_id))


def given_by_member(contact_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{contact id: (gifts, given)} for each of these people's own gifts."""
    rows = db.session.execute(
        select(Donation.contact_id, func.count(Donation.id).filter(COUNTED),
               func.coalesce(func.sum(Donation.amount_cents - Donation.refunded_cents), 0))
        .where(own_gifts(contact_ids))
        .group_by(Donation.contact_id)
    )  # fmt: skip
    return {contact_id: (int(gifts), int(given)) for contact_id, gifts, given in rows}
