"""The dashboard page: the tiles the signed-in role may see, for a period and a campaign."""

from datetime import date

from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from crm.auth.access import staff_required
from crm.dashboard import bp
from crm.dashboard.calendar import PRESETS, resolve_period, today
from crm.dashboard.tiles import View, sees_money, tiles_for
from crm.donations.models import Campaign
from crm.extensions import db


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def current_view() -> View:
    """The period and campaign from the query string; anything unreadable falls back."""
    args = request.args
    kind = args.get("period", "fy")
    period = resolve_period(kind, _date(args.get("from")), _date(args.get("to")), today())
    by = args.get("by")
    if by not in ("week", "month"):
        by = "week" if period.days <= 92 else "month"
    campaign_id = args.get("campaign", type=int)
    if campaign_id and db.session.get(Campaign, campaign_id) is None:
        campaign_id = None
    return View(period, campaign_id, by)


@bp.get("/dashboard")
@staff_required
def index():
    view = current_view()
    tiles = [(t, t.build(view)) for t in tiles_for(current_user)]
    if not tiles:
        abort(403)
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.name)).all()
    return render_template(
        "dashboard/index.html",
        view=view,
        tiles=tiles,
        presets=PRESETS,
        campaigns=campaigns,
        sees_money=sees_money(current_user),
    )
