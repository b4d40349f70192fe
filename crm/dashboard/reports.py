"""The lists behind the tiles, each with its CSV: lapsed donors (LYBUNT, SYBUNT), gifts by
fund or source, gifts over time, and the events of a period with the people they reached."""

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.auth.access import role_required, staff_required
from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.csvutil import csv_response
from crm.dashboard import bp, metrics
from crm.dashboard.calendar import add_months, fy_label, fy_start, today
from crm.dashboard.facts import decode_facts
from crm.dashboard.models import ALL, DonorSummary, EventFact
from crm.dashboard.views import current_view
from crm.donations.models import Campaign
from crm.events.models import Event
from crm.extensions import db

LAPSED = {
    "lybunt": "LYBUNT: gave last fiscal year, not yet this one",
    "sybunt": "SYBUNT: gave some year before last, not last year nor this one",
}
DONOR_COLUMNS = ["contact_id", "name", "email", "first_gift", "last_gift", "last_fiscal_year",
                 "given_that_year", "given_lifetime", "gifts"]  # fmt: skip


def lapsed_query(kind: str, campaign_id: int | None, *columns):
    last_year = add_months(fy_start(today()), -12)
    s = DonorSummary
    query = (
        select(s, *columns)
        .join(Contact, Contact.id == s.contact_id)
        .where(s.campaign_id == (campaign_id or ALL))
        .order_by(s.last_fy_cents.desc(), s.contact_id)
    )
    return query.where(s.last_fy == last_year if kind == "lybunt" else s.last_fy < last_year)


def _lapsed_page(kind: str):
    view = current_view()
    pagination = db.paginate(
        lapsed_query(kind, view.campaign_id),
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=50,
        error_out=False,
    )
    ids = [summary.contact_id for summary in pagination.items]
    contacts = db.session.scalars(select(Contact).where(Contact.id.in_(ids)))
    return render_template(
        "dashboard/lapsed.html",
        contacts={c.id: c for c in contacts},
        kind=kind,
        title=LAPSED[kind],
        view=view,
        pagination=pagination,
        campaign=db.session.get(Campaign, view.campaign_id) if view.campaign_id else None,
        fy_label=fy_label,
    )


def _lapsed_csv(kind: str):
    view = current_view()

    def rows():
        for summary, contact in db.session.execute(lapsed_query(kind, view.campaign_id, Contact)):
            yield [
                contact.id, contact.full_name, contact.email, summary.first_day,
                summary.last_day, fy_label(summary.last_fy),
                _major(summary.last_fy_cents), _major(summary.given_cents), summary.gifts,
            ]  # fmt: skip

    return csv_response(f"{kind}.csv", DONOR_COLUMNS, rows())


def _major(cents: int) -> str:
    return f"{cents / 100:.2f}"


@bp.get("/dashboard/lybunt")
@role_required(Role.FUNDRAISER)
def lybunt():
    return _lapsed_page("lybunt")


@bp.get("/dashboard/lybunt.csv")
@role_required(Role.FUNDRAISER)
def lybunt_csv():
    return _lapsed_csv("lybunt")


@bp.get("/dashboard/sybunt")
@role_required(Role.FUNDRAISER)
def sybunt():
    return _lapsed_page("sybunt")


@bp.get("/dashboard/sybunt.csv")
@role_required(Role.FUNDRAISER)
def sybunt_csv():
    return _lapsed_csv("sybunt")


# --- gifts by fund, by source, over time --------------------------------------------------

SUM_COLUMNS = ["gifts", "gross", "refunded", "fees", "net", "average_gift"]


def _sums(s: metrics.Sums) -> list:
    return [s.gifts, _major(s.gross_cents), _major(s.refunded_cents), _major(s.fee_cents),
            _major(s.net_cents), _major(s.average_cents)]  # fmt: skip


def breakdown_rows(view, dim: str) -> list[tuple[str, str, metrics.Sums]]:
    money = metrics.money(view.period, view.campaign_id, view.by)
    if dim == "source":
        names = metrics.source_names(k for k in money.by_source if k)
        items = [(names.get(k, k or "No source"), k, v) for k, v in money.by_source.items()]
    else:
        names = metrics.fund_names(k for k in money.by_fund if k)
        items = [(names.get(k, "No fund"), str(k or ""), v) for k, v in money.by_fund.items()]
    return sorted(items, key=lambda item: -item[2].gross_cents)


def _dim() -> str:
    return "source" if request.args.get("dim") == "source" else "fund"


@bp.get("/dashboard/breakdown")
@role_required(Role.FUNDRAISER)
def breakdown():
    view, dim = current_view(), _dim()
    return render_template(
        "dashboard/breakdown.html", view=view, dim=dim, rows=breakdown_rows(view, dim)
    )


@bp.get("/dashboard/breakdown.csv")
@role_required(Role.FUNDRAISER)
def breakdown_csv():
    view, dim = current_view(), _dim()
    rows = ([name, key, *_sums(s)] for name, key, s in breakdown_rows(view, dim))
    return csv_response(f"gifts-by-{dim}.csv", [dim, "key", *SUM_COLUMNS], rows)


@bp.get("/dashboard/series.csv")
@role_required(Role.FUNDRAISER)
def series_csv():
    view = current_view()
    money = metrics.money(view.period, view.campaign_id, view.by)
    header = ["from", "to", *SUM_COLUMNS, "previous_gifts", "previous_gross", "previous_net"]
    rows = (
        [first, last, *_sums(now), before.gifts, _major(before.gross_cents),
         _major(before.net_cents)]
        for first, last, now, before in money.series
    )  # fmt: skip
    return csv_response("gifts-over-time.csv", header, rows)


# --- events of the period -------------------------------------------------------------------


def events_query(view, *columns):
    query = (
        select(Event, *columns)
        .outerjoin(EventFact, EventFact.event_id == Event.id)
        .where(
            Event.starts_at >= view.period.start_moment(),
            Event.starts_at < view.period.end_moment(),
        )
        .order_by(Event.starts_at.desc())
    )
    if view.campaign_id:
        query = query.where(Event.campaign_id == view.campaign_id)
    return query


def event_reach(facts: dict | None) -> tuple[bool, int, dict]:
    """(training, people reached, by audience) from an event's stored facts."""
    training, total, by_audience = False, 0, {}
    for (scope, metric, _), n in decode_facts(facts).items():
        if scope != ALL or "@" in metric:
            continue
        if metric == "trainings":
            training = True
        elif metric == "reach":
            total = n
        elif metric.startswith("reach:"):
            by_audience[metric.split(":", 1)[1]] = n
    return training, total, by_audience


@bp.get("/dashboard/events")
@staff_required
def events():
    view = current_view()
    pagination = db.paginate(
        events_query(view).options(selectinload(Event.type)),
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=50,
        error_out=False,
    )
    ids = [event.id for event in pagination.items]
    stored = dict(
        db.session.execute(
            select(EventFact.event_id, EventFact.facts).where(EventFact.event_id.in_(ids))
        ).all()
    )
    rows = [(event, *event_reach(stored.get(event.id))) for event in pagination.items]
    return render_template("dashboard/events.html", view=view, pagination=pagination, rows=rows)


@bp.get("/dashboard/events.csv")
@staff_required
def events_csv():
    from crm.dashboard.event_tiles import AUDIENCE_LABELS

    view = current_view()
    audiences = list(AUDIENCE_LABELS)

    def rows():
        for event, facts in db.session.execute(events_query(view, EventFact.facts)):
            training, total, by_audience = event_reach(facts)
            yield [event.id, event.starts_at.isoformat(), event.title, event.type.name,
                   training, total, *(by_audience.get(a, 0) for a in audiences)]  # fmt: skip

    header = ["id", "starts_at", "title", "type", "training", "people_reached", *audiences]
    return csv_response("events.csv", header, rows())
