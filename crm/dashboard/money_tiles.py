"""Money tiles: for fundraisers and admins only."""

from flask import g

from crm.dashboard import metrics
from crm.dashboard.charts import grouped_bars
from crm.dashboard.tiles import MONEY, View, tile
from crm.donations.raised import raised as raised_in
from crm.payments.money import format_money

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
    label = "%b" if view.by == "month" else "%-d %b"
    groups = [
        (
            first.strftime(label),
            [
                (now.gross_cents, f"{first:%-d %b %Y}: {format_money(now.gross_cents, currency)}"),
                (
                    before.gross_cents,
                    f"Previous period: {format_money(before.gross_cents, currency)}",
                ),
            ],
        )
        for first, _, now, before in series
    ]
    return {"series": series, "chart": grouped_bars(groups, ["bar-now", "bar-before"])}


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
