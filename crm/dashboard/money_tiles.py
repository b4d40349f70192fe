"""Money tiles: for fundraisers and admins only."""

from flask import g

from crm.dashboard import calendar, metrics
from crm.dashboard.charts import grouped_bars
from crm.dashboard.tiles import MONEY, View, tile
from crm.donations.raised import raised as raised_in
from crm.formats import format_date, format_month
from crm.payments.money import compact_money, format_money

TOP = 5


def period_money(view: View) -> metrics.Money:
    """Computed once per request: three tiles read it."""
    if getattr(g, "dashboard_money_view", None) != view:
        g.dashboard_money = metrics.money(view.period, view.campaign_id, view.by)
        g.dashboard_money_view = view
    return g.dashboard_money


@tile("campaigns", "Campaigns against goal", MONEY, 10)
def campaigns(view: View) -> dict:
    return {"campaigns": metrics.campaign_progress(view.campaign_id)}


@tile("raised", "Raised", MONEY, 20)
def raised(view: View) -> dict:
    period = view.period
    return {"raised": raised_in(view.campaign_id, period.first, period.last)}


@tile("gifts_over_time", "Gifts over time", MONEY, 30, wide=True)
def gifts_over_time(view: View) -> dict:
    series = period_money(view).series
    currency = metrics.currency()
    today = calendar.today()
    running = [i for i, (first, last, *_) in enumerate(series) if first <= today <= last]
    partial = running[0] if running else None

    def bars(i, first, now, before) -> tuple[str, list[tuple[int, str]]]:
        label = format_month(first, "short") if view.by == "month" else format_date(first, "short")
        return label + ("*" if i == partial else ""), [
            (now.gross_cents, f"{format_date(first)}: {format_money(now.gross_cents, currency)}"),
            (before.gross_cents, f"Previous period: {format_money(before.gross_cents, currency)}"),
        ]

    chart = grouped_bars(
        [bars(i, first, now, before) for i, (first, _, now, before) in enumerate(series)],
        ["bar-now", "bar-before"],
        lambda cents: compact_money(cents, currency),
        partial,
    )
    return {"series": series, "chart": chart, "partial": partial, "today": today}


@tile("donors", "Donors", MONEY, 40)
def donors(view: View) -> dict:
    return {"donors": metrics.donors(view.period, view.campaign_id)}


@tile("recurring", "Monthly giving", MONEY, 50)
def recurring(view: View) -> dict:
    return {"plans": metrics.plans(view.campaign_id)}


@tile("top_funds", "Top funds", MONEY, 60)
def top_funds(view: View) -> dict:
    by_fund = period_money(view).by_fund
    names = metrics.fund_names(k for k in by_fund if k)
    rows = sorted(by_fund.items(), key=lambda kv: -kv[1].gross_cents)[:TOP]
    return {"rows": [(names.get(k, "No fund"), k, sums) for k, sums in rows]}


@tile("top_sources", "Top appeals and sources", MONEY, 70)
def top_sources(view: View) -> dict:
    by_source = period_money(view).by_source
    names = metrics.source_names(k for k in by_source if k)
    rows = sorted(by_source.items(), key=lambda kv: -kv[1].gross_cents)[:TOP]
    return {"rows": [(names.get(k, k or "No source"), k, sums) for k, sums in rows]}
