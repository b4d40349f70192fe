"""Local days, weeks, months and fiscal years of the organisation, and dashboard periods."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from crm.formats import format_date, format_month


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ORG_TIMEZONE"])


def local_day(moment: datetime, tz: ZoneInfo | None = None) -> date:
    return moment.astimezone(tz or zone()).date()


def today() -> date:
    return datetime.now(zone()).date()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, n: int) -> date:
    months = day.year * 12 + day.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def fy_start(day: date, start_month: int | None = None) -> date:
    start_month = start_month or current_app.config["FISCAL_YEAR_START_MONTH"]
    year = day.year if day.month >= start_month else day.year - 1
    return date(year, start_month, 1)


def fy_label(start: date) -> str:
    """A fiscal year is named by the calendar year it ends in."""
    end = add_months(start, 12) - timedelta(days=1)
    return f"FY{end.year}"


def month_key(day: date) -> str:
    return day.strftime("%Y-%m")


def decompose(first: date, last: date) -> list[tuple[str, date]]:
    """[first, last] as the fewest summary buckets: whole months, then weeks, then days."""
    buckets, day = [], first
    while day <= last:
        if day.day == 1 and month_end(day) <= last:
            buckets.append(("m", day))
            day = add_months(day, 1)
        elif day.weekday() == 0 and day + timedelta(days=6) <= last and not _month_fits(day, last):
            buckets.append(("w", day))
            day += timedelta(days=7)
        else:
            buckets.append(("d", day))
            day += timedelta(days=1)
    return buckets


def _month_fits(monday: date, last: date) -> bool:
    """Whether a whole month begins inside this week and ends by `last` (prefer the month)."""
    following = add_months(monday, 1)
    return following <= monday + timedelta(days=6) and month_end(following) <= last


PRESETS = {
    "month": "This month",
    "fy": "This fiscal year",
    "last_fy": "Last fiscal year",
    "custom": "Custom range",
}


@dataclass(frozen=True)
class Period:
    kind: str  # a key of PRESETS
    first: date
    last: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind in ("fy", "last_fy"):
            return fy_label(self.first)
        if self.kind == "month":
            return format_month(self.first)
        return f"{format_date(self.first)} – {format_date(self.last)}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def is_month(self) -> bool:
        return self.first.day == 1 and self.last == month_end(self.first)

    @property
    def is_fiscal_year(self) -> bool:
        return self.first == fy_start(self.first) and self.last == fy_end(self.first)

    def previous(self) -> "Period":
        if self.is_month:
            start = add_months(self.first, -1)
            return Period(self.kind, start, month_end(start))
        if self.is_fiscal_year:
            start = add_months(self.first, -12)
            return Period(self.kind, start, fy_end(start))
        return Period(self.kind, self.first - timedelta(days=self.days), self.first - timedelta(1))

    def start_moment(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), tzinfo=zone())

    def end_moment(self) -> datetime:
        """The moment after the last day ends."""
        return datetime.combine(self.last + timedelta(days=1), datetime.min.time(), tzinfo=zone())


def fy_end(start: date) -> date:
    return add_months(start, 12) - timedelta(days=1)


MAX_CUSTOM_DAYS = 3660


def resolve_period(kind: str, first: date | None, last: date | None, now: date) -> Period:
    """The period asked for; a custom range without both dates (or backwards) is this month."""
    if kind == "fy":
        start = fy_start(now)
        return Period("fy", start, fy_end(start))
    if kind == "last_fy":
        start = add_months(fy_start(now), -12)
        return Period("last_fy", start, fy_end(start))
    if kind == "custom" and first and last and first <= last:
        return Period("custom", first, min(last, first + timedelta(days=MAX_CUSTOM_DAYS)))
    start = month_start(now)
    return Period("month", start, month_end(start))
