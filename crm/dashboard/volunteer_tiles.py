"""Volunteer tiles: active volunteers, hours, top roles, staffing gaps and expiring credentials.
Coordinators and admins see them (fundraisers do not schedule volunteers)."""

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from crm.auth.access import role_required
from crm.auth.roles import Role
from crm.csvutil import csv_response
from crm.dashboard import bp
from crm.dashboard.charts import horizontal_bars
from crm.dashboard.tiles import View, tile
from crm.dashboard.views import current_view
from crm.extensions import db
from crm.formats import format_month
from crm.volunteers import gaps
from crm.volunteers import services as volunteering
from crm.volunteers.models import HoursEntry, HoursStatus, Shift, Volunteer, VolunteerRole

SCHEDULING = (Role.COORDINATOR,)  # admins always see every tile
GAP_DAYS = gaps.GAP_DAYS


def _bounds(view: View) -> tuple[datetime, datetime]:
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    start = datetime.combine(view.period.first, time.min, tzinfo=zone)
    return start, datetime.combine(view.period.last + timedelta(days=1), time.min, tzinfo=zone)


def approved_hours(view: View, *options) -> list[HoursEntry]:
    start, end = _bounds(view)
    return list(
        db.session.scalars(
            select(HoursEntry)
            .where(
                HoursEntry.status == HoursStatus.APPROVED,
                HoursEntry.started_at >= start,
                HoursEntry.started_at < end,
            )
            .options(*options)
        )
    )


def staffing_gaps(now: datetime | None = None) -> list[tuple[Shift, int]]:
    """Shifts in the next 14 days with places not filled, soonest first."""
    return gaps.staffing_gaps(now)


@tile("volunteers", "Volunteers", SCHEDULING, 100, wide=True)
def volunteers(view: View) -> dict:
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    by_month, by_role = defaultdict(int), defaultdict(int)
    for entry in approved_hours(view):
        by_month[entry.started_at.astimezone(zone).strftime("%Y-%m")] += entry.minutes or 0
        by_role[entry.role] += entry.minutes or 0
    months = [
        (format_month(m, "medium"), round(minutes / 60)) for m, minutes in sorted(by_month.items())
    ]
    roles = sorted(
        ((VolunteerRole(r).label, m) for r, m in by_role.items()), key=lambda row: -row[1]
    )
    gaps = staffing_gaps()
    return {
        "active": db.session.scalar(
            select(func.count()).select_from(Volunteer).where(Volunteer.active)
        ),
        "minutes": sum(by_month.values()),
        "months": months,
        "months_chart": horizontal_bars(months),
        "roles": roles[:5],
        "gaps": gaps[:8],
        "gap_places": sum(missing for _, missing in gaps),
        "expiring_30": len(volunteering.expiring_credentials(30)),
        "expiring_60": len(volunteering.expiring_credentials(60)),
    }


@bp.get("/dashboard/staffing.csv")
@role_required(*SCHEDULING)
def staffing_csv():
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    rows = (
        [
            shift.id,
            shift.title,
            shift.starts_at.astimezone(zone).isoformat(timespec="minutes"),
            shift.capacity,
            shift.capacity - missing,
            missing,
            shift.youth_facing,
        ]
        for shift, missing in staffing_gaps()
    )
    header = ["shift_id", "title", "starts", "places", "filled", "unfilled", "youth_facing"]
    return csv_response("staffing-gaps.csv", header, rows)


@bp.get("/dashboard/volunteer-hours.csv")
@role_required(*SCHEDULING)
def volunteer_hours_csv():
    view = current_view()
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    rows = (
        [
            e.volunteer_id,
            e.volunteer.name,
            e.role.value,
            e.started_at.astimezone(zone).isoformat(timespec="minutes"),
            round((e.minutes or 0) / 60, 2),
        ]
        # The names are loaded with the entries: the rows are written after the request's
        # session has closed, and one query serves any number of them.
        for e in approved_hours(
            view, joinedload(HoursEntry.volunteer).joinedload(Volunteer.contact)
        )
    )
    header = ["volunteer_id", "volunteer", "role", "started", "hours"]
    return csv_response("volunteer-hours.csv", header, rows)
