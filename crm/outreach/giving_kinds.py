"""Conditions on giving. Every one of them is about money, so roles without money access
(coordinators) neither see nor use them. A gift counts as the dashboard counts a donor's:
not failed and not refunded in full; totals are net of refunds."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from crm.donations.models import Appeal, Campaign, Donation, Fund, PlanStatus, RecurringPlan
from crm.donations.queries import org_day_start
from crm.extensions import db
from crm.outreach.condition_kinds import GIVING
from crm.outreach.conditions import Params, among, choice_lists, kind

MONEY = {"group": "Giving", "money": True}
LIVE_PLAN = (PlanStatus.ACTIVE, PlanStatus.PAST_DUE)

choice_lists.update({
    "campaign": lambda: [(str(i), n) for i, n in db.session.execute(
        select(Campaign.id, Campaign.name).order_by(Campaign.name))],
    "fund": lambda: [(str(i), n) for i, n in db.session.execute(
        select(Fund.id, Fund.name).order_by(Fund.name))],
    "appeal": lambda: [(c, f"{c} · {n}") for c, n in db.session.execute(
        select(Appeal.code, Appeal.name).order_by(Appeal.code))],
})  # fmt: skip


def gifts(*where):
    """Contact ids of counted gifts."""
    return select(Donation.contact_id).where(Donation.status.in_(GIVING), *where)


def _fiscal_year_first_day(today: date) -> date:
    month = current_app.config["FISCAL_YEAR_START_MONTH"]
    return date(today.year if today.month >= month else today.year - 1, month, 1)


def _this_and_last_year() -> tuple[datetime, datetime]:
    """When this fiscal year and the last one began, in the organisation's time zone."""
    first = _fiscal_year_first_day(
        datetime.now(ZoneInfo(current_app.config["ORG_TIMEZONE"])).date()
    )
    return org_day_start(first), org_day_start(first.replace(year=first.year - 1))


@kind("gave", "Gave (ever, or in a period)", period=True, **MONEY)
def _gave(p: Params):
    return among(gifts(*p.period(Donation.received_at)))


@kind("total_given", "Gave in total (net of refunds)", period=True, amount=True, **MONEY)
def _total_given(p: Params):
    net = func.sum(Donation.amount_cents - Donation.refunded_cents)
    return among(
        gifts(*p.period(Donation.received_at)).group_by(Donation.contact_id).having(*p.amounts(net))
    )


@kind("largest_gift", "Largest gift", period=True, amount=True, **MONEY)
def _largest_gift(p: Params):
    largest = func.max(Donation.amount_cents)
    return among(
        gifts(*p.period(Donation.received_at))
        .group_by(Donation.contact_id)
        .having(*p.amounts(largest))
    )


@kind("first_gift", "First gift was in the period", period=True, **MONEY)
def _first_gift(p: Params):
    first = func.min(Donation.received_at)
    return among(gifts().group_by(Donation.contact_id).having(*p.period(first)))


@kind("monthly_donor", "Gives monthly now", **MONEY)
def _monthly_donor(p: Params):
    return among(select(RecurringPlan.contact_id).where(RecurringPlan.status.in_(LIVE_PLAN)))


@kind("lapsed_monthly", "Gave monthly and stopped (no monthly gift now)", **MONEY)
def _lapsed_monthly(p: Params):
    stopped = select(RecurringPlan.contact_id).where(RecurringPlan.status == PlanStatus.CANCELLED)
    return among(stopped) & ~_monthly_donor(p)


@kind("lybunt", "LYBUNT: gave last fiscal year, not yet this one", **MONEY)
def _lybunt(p: Params):
    this_year, last_year = _this_and_last_year()
    last = gifts(Donation.received_at >= last_year, Donation.received_at < this_year)
    return among(last) & ~among(gifts(Donation.received_at >= this_year))


@kind("sybunt", "SYBUNT: gave some year before last, not last year nor this one", **MONEY)
def _sybunt(p: Params):
    _, last_year = _this_and_last_year()
    before = gifts(Donation.received_at < last_year)
    return among(before) & ~among(gifts(Donation.received_at >= last_year))


@kind("gave_campaign", "Gave to the campaign", value="campaign", period=True, **MONEY)
def _gave_campaign(p: Params):
    return among(gifts(Donation.campaign_id == int(p.value), *p.period(Donation.received_at)))


@kind("gave_fund", "Gave to the fund", value="fund", period=True, **MONEY)
def _gave_fund(p: Params):
    return among(gifts(Donation.fund_id == int(p.value), *p.period(Donation.received_at)))


@kind("gave_appeal", "Gave through the appeal (source code)", value="appeal", period=True,
      **MONEY)  # fmt: skip
def _gave_appeal(p: Params):
    return among(gifts(Donation.source == p.value, *p.period(Donation.received_at)))
