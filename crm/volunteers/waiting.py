"""What waits for coordinators on the home page: hours to approve (approved from there),
staffing gaps of the next 14 days and credentials expiring within 30 days."""

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.auth.roles import Role
from crm.extensions import db
from crm.formats import format_date, format_datetime, format_duration
from crm.volunteers import gaps
from crm.volunteers.models import HoursEntry, HoursStatus, Volunteer
from crm.work.home import FIRST_FEW, Action, WorkItem, WorkList, capped_count, waiting

COORDINATORS = (Role.COORDINATOR,)


@waiting("hours", COORDINATORS, 50)
def hours_to_approve(user) -> WorkList:
    pending = HoursEntry.status == HoursStatus.PENDING
    count = capped_count(select(HoursEntry.id).where(pending))
    entries = db.session.scalars(
        select(HoursEntry)
        .options(selectinload(HoursEntry.volunteer).selectinload(Volunteer.contact))
        .where(pending)
        .order_by(HoursEntry.started_at, HoursEntry.id)
        .limit(FIRST_FEW)
    )
    items = [
        WorkItem(
            label=f"{e.volunteer.contact.full_name}: {format_duration(e.minutes)}",
            url=url_for("volunteers.hours_review"),
            detail=f"{format_date(e.started_at, 'short')} · {e.role.label}",
            action=Action(
                "Approve",
                url_for("volunteers.review_hours"),
                f"{e.volunteer.contact.full_name}'s {format_duration(e.minutes)}",
                (("decision", "approve"), ("entry_ids", str(e.id))),
            ),  # fmt: skip
        )
        for e in entries
    ]
    return WorkList("hours", "Hours to approve", count, items,
                    more_url=url_for("volunteers.hours_review"), more_label="Review all hours",
                    empty="No hours waiting.")  # fmt: skip


@waiting("gaps", COORDINATORS, 70)
def staffing(user) -> WorkList:
    shifts, places = gaps.unfilled_places()
    rows = db.session.execute(gaps.gaps_query().limit(FIRST_FEW)).all()
    items = [
        WorkItem(
            label=shift.title,
            url=url_for("volunteers.shift", shift_id=shift.id),
            detail=f"{format_datetime(shift.starts_at, 'short_weekday')} · {missing} unfilled"
            + (" · with young people" if shift.youth_facing else ""),
            urgent=shift.youth_facing,
        )  # fmt: skip
        for shift, missing in rows
    ]
    return WorkList("gaps", f"Staffing gaps, next {gaps.GAP_DAYS} days", places, items,
                    more_url=url_for("volunteers.staffing_gaps"),
                    more_label=f"All {shifts} shift{'s' if shifts != 1 else ''}",
                    empty="Every place is filled.")  # fmt: skip


@waiting("credentials", COORDINATORS, 80)
def credentials(user) -> WorkList:
    query = gaps.expiring_query(30)
    count = capped_count(query)
    items = [
        WorkItem(
            label=f"{c.volunteer.contact.full_name}: {c.type.name}",
            url=url_for("volunteers.volunteer", volunteer_id=c.volunteer_id),
            detail=f"Expires {format_date(c.expires_on)}",
        )
        for c in db.session.scalars(query.limit(FIRST_FEW)).unique()
    ]
    return WorkList("credentials", "Credentials expiring in 30 days", count, items,
                    more_url=url_for("volunteers.expiring_credentials", days=30),
                    empty="None expiring soon.")  # fmt: skip
