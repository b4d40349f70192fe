"""Reading the summaries: a handful of small queries whose cost does not grow with history
(a period is read as at most a few dozen buckets), plus live counts of upcoming things."""

from collections import defaultdict
from dataclasses import astuple, dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select

from crm.dashboard.calendar import (
    Period,
    add_months,
    decompose,
    fy_start,
    month_end,
    month_start,
    today,
    week_start,
)
from crm.dashboard.facts import DONOR_STATUSES
from crm.dashboard.models import ALL, EVER, Counter, DonorSummary, GiftRollup
from crm.donations.models import Appeal, Campaign, CampaignStatus, Donation, Fund
from crm.donations.raised import Figures, raised_by_campaign
from crm.events.models import Audience, Event, TrainingRequest, TrainingRequestStatus
from crm.extensions import db
from crm.modelbase import utcnow


@dataclass
class Sums(Figures):
    gifts: int = 0
    gross_cents: int = 0
    refunded_cents: int = 0
    fee_cents: int = 0

    def add(self, gifts, gross, refunded, fee) -> None:
        self.gifts += int(gifts)
        self.gross_cents += int(gross)
        self.refunded_cents += int(refunded)
        self.fee_cents += int(fee)


@dataclass
class Money:
    totals: Sums
    series: list[tuple[date, date, Sums, Sums]]  # bucket first/last day, this period, previous
    by_fund: dict[int, Sums] = field(default_factory=dict)
    by_source: dict[str, Sums] = field(default_factory=dict)


def series_buckets(period: Period, by: str) -> list[tuple[date, date]]:
    """The weeks or months of a period, clipped to it."""
    buckets, day = [], period.first
    while day <= period.last:
        end = month_end(day) if by == "month" else week_start(day) + timedelta(days=6)
        end = min(end, period.last)
        buckets.append((day, end))
        day = end + timedelta(days=1)
    return buckets


def money(period: Period, campaign_id: int | None, by: str) -> Money:
    """Totals, the series against the previous period, and sums by fund and by source. The
    database adds up the buckets, so Python sees a few dozen rows whatever the history."""
    previous = period.previous()
    parts = {"now": series_buckets(period, by), "before": series_buckets(previous, by)}
    wanted = defaultdict(list)  # (grain, bucket) -> [(part, index)]
    for part, buckets in parts.items():
        for index, (first, last) in enumerate(buckets):
            for grain_bucket in decompose(first, last):
                wanted[grain_bucket].append((part, index))
    sums = {part: [Sums() for _ in buckets] for part, buckets in parts.items()}
    for grain, bucket, *vector in _rollup_sums(list(wanted), campaign_id):
        for part, index in wanted[(grain, bucket)]:
            sums[part][index].add(*vector)
    totals = Sums()
    for bucket_sums in sums["now"]:
        totals.add(*astuple(bucket_sums))
    whole = decompose(period.first, period.last)
    before = sums["before"]
    series = [
        (first, last, sums["now"][i], before[i] if i < len(before) else Sums())
        for i, (first, last) in enumerate(parts["now"])
    ]
    by_fund = {k: Sums(*map(int, v)) for k, *v in _rollup_sums(whole, campaign_id, "fund_id")}
    by_source = {k: Sums(*map(int, v)) for k, *v in _rollup_sums(whole, campaign_id, "source")}
    return Money(totals, series, by_fund, by_source)


def _rollup_sums(buckets: list[tuple[str, date]], campaign_id: int | None, dim: str | None = None):
    """Sums of the rollups in these buckets: by bucket, or over all of them by `dim`."""
    r = GiftRollup
    by_grain = defaultdict(list)
    for grain, bucket in buckets:
        by_grain[grain].append(bucket)
    which = or_(*(and_(r.grain == g, r.bucket.in_(b)) for g, b in by_grain.items()))
    keys = [r.grain, r.bucket] if dim is None else [getattr(r, dim)]
    query = (
        select(
            *keys,
            func.sum(r.gifts),
            func.sum(r.gross_cents),
            func.sum(r.refunded_cents),
            func.sum(r.fee_cents),
        )
        .where(which)
        .group_by(*keys)
    )
    if campaign_id:
        query = query.where(r.campaign_id == campaign_id)
    return db.session.execute(query).all()


def campaign_progress(campaign_id: int | None) -> list[dict]:
    """Each active campaign (or the chosen one) against its goal, since it began."""
    query = select(Campaign).order_by(Campaign.name)
    if campaign_id:
        query = query.where(Campaign.id == campaign_id)
    else:
        query = query.where(Campaign.status == CampaignStatus.ACTIVE)
    campaigns = db.session.scalars(query).all()
    figures = raised_by_campaign(c.id for c in campaigns)
    return [
        {"campaign": c, "raised": figures[c.id], "percent": figures[c.id].percent_of(c.goal_cents)}
        for c in campaigns
    ]


def counters(scope: int, metrics: list[str], buckets: list[date]) -> dict:
    c = Counter
    rows = db.session.execute(
        select(c.metric, c.bucket, c.value).where(
            c.campaign_id == scope, c.metric.in_(metrics), c.bucket.in_(buckets)
        )
    )
    return {(m, b): int(v) for m, b, v in rows}


@dataclass
class Donors:
    donors: int
    new: int
    retained: int  # donors of the previous fiscal year who gave again in this one
    last_year_donors: int
    lybunt: int  # relative to the current fiscal year
    sybunt: int
    live: bool  # counted from gifts: a custom range is not a month or a fiscal year

    @property
    def returning(self) -> int:
        return self.donors - self.new

    @property
    def retention_percent(self) -> float | None:
        if not self.last_year_donors:
            return None
        return round(100 * self.retained / self.last_year_donors, 1)


def donors(period: Period, campaign_id: int | None) -> Donors:
    scope = campaign_id or ALL
    year = fy_start(min(period.last, today()))
    last_year, current = add_months(year, -12), fy_start(today())
    values = counters(
        scope,
        ["donors_m", "new_m", "donors_y", "new_y", "retained_y", "last_y"],
        [period.first, year, last_year, add_months(current, -12)],
    )
    live = not (period.is_month or period.is_fiscal_year)
    if period.is_month:
        count, new = (
            values.get(("donors_m", period.first), 0),
            values.get(("new_m", period.first), 0),
        )
    elif period.is_fiscal_year:
        count, new = (
            values.get(("donors_y", period.first), 0),
            values.get(("new_y", period.first), 0),
        )
    else:
        count, new = _live_donors(period, campaign_id), _live_new(period, scope)
    return Donors(
        donors=count,
        new=new,
        retained=values.get(("retained_y", year), 0),
        last_year_donors=values.get(("donors_y", last_year), 0),
        lybunt=values.get(("last_y", add_months(current, -12)), 0),
        sybunt=_sybunt_count(scope, add_months(current, -12)),
        live=live,
    )


def _sybunt_count(scope: int, last_year: date) -> int:
    c = Counter
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(c.value), 0)).where(
                c.campaign_id == scope, c.metric == "last_y", c.bucket < last_year
            )
        )
    )


def _live_donors(period: Period, campaign_id: int | None) -> int:
    d = Donation
    query = select(func.count(func.distinct(d.contact_id))).where(
        d.received_at >= period.start_moment(),
        d.received_at < period.end_moment(),
        d.status.in_(DONOR_STATUSES),
    )
    if campaign_id:
        query = query.where(d.campaign_id == campaign_id)
    return db.session.scalar(query)


def _live_new(period: Period, scope: int) -> int:
    s = DonorSummary
    return db.session.scalar(
        select(func.count()).where(
            s.campaign_id == scope, s.first_day >= period.first, s.first_day <= period.last
        )
    )


def plans(campaign_id: int | None) -> dict:
    values = counters(campaign_id or ALL, ["plans_active", "plans_past_due", "mrr_cents"], [EVER])
    return {m: values.get((m, EVER), 0) for m in ("plans_active", "plans_past_due", "mrr_cents")}


def fund_names(ids) -> dict[int, str]:
    rows = db.session.execute(select(Fund.id, Fund.name).where(Fund.id.in_(list(ids))))
    return dict(rows.all())


def source_names(codes) -> dict[str, str]:
    rows = db.session.execute(select(Appeal.code, Appeal.name).where(Appeal.code.in_(list(codes))))
    return dict(rows.all())


# --- events -------------------------------------------------------------------------------


GRAIN_SUFFIX = {"d": "", "w": "@w", "m": "@m"}
EVENT_METRICS = ["events", "trainings", "reach", "reach:registrants",
                 *(f"reach:{a.value}" for a in Audience)]  # fmt: skip


def event_figures(period: Period, campaign_id: int | None) -> dict:
    """Events and trainings held (up to today), and people reached, in the period: read as
    whole months, weeks and days, like the gifts."""
    last = min(period.last, today())
    values = defaultdict(int)
    if last >= period.first:
        by_grain = defaultdict(list)
        for grain, bucket in decompose(period.first, last):
            by_grain[grain].append(bucket)
        c = Counter
        which = [
            and_(c.metric.in_([m + GRAIN_SUFFIX[grain] for m in EVENT_METRICS]), c.bucket.in_(b))
            for grain, b in by_grain.items()
        ]
        rows = db.session.execute(
            select(c.metric, func.sum(c.value))
            .where(c.campaign_id == (campaign_id or ALL), or_(*which))
            .group_by(c.metric)
        )
        for metric, n in rows:
            values[metric.split("@", 1)[0]] += int(n)
    by_audience = {
        metric.split(":", 1)[1]: n
        for metric, n in values.items()
        if metric.startswith("reach:") and n
    }
    return {
        "held": values.get("events", 0),
        "trainings": values.get("trainings", 0),
        "reached": values.get("reach", 0),
        "by_audience": dict(sorted(by_audience.items(), key=lambda kv: -kv[1])),
    }


def upcoming_events(campaign_id: int | None, days: int = 30) -> int:
    now = utcnow()
    query = select(func.count()).where(
        Event.starts_at >= now,
        Event.starts_at < now + timedelta(days=days),
        Event.cancelled_at.is_(None),
    )
    if campaign_id:
        query = query.where(Event.campaign_id == campaign_id)
    return db.session.scalar(query)


def open_training_requests() -> int:
    return db.session.scalar(
        select(func.count()).where(TrainingRequest.status == TrainingRequestStatus.PENDING)
    )


def month_bounds(day: date) -> tuple[date, date]:
    return month_start(day), month_end(day)


def currency() -> str:
    return current_app.config["CURRENCY"]
