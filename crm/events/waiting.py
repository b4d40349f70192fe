"""Open training requests on coordinators' home page, oldest first."""

from flask import url_for
from sqlalchemy import select

from crm.auth.roles import Role
from crm.events.models import TrainingRequest, TrainingRequestStatus
from crm.extensions import db
from crm.formats import format_date
from crm.work.home import FIRST_FEW, WorkItem, WorkList, capped_count, waiting


@waiting("training_requests", (Role.COORDINATOR,), 60)
def training_requests(user) -> WorkList:
    open_ = TrainingRequest.status == TrainingRequestStatus.PENDING
    count = capped_count(select(TrainingRequest.id).where(open_))
    rows = db.session.scalars(
        select(TrainingRequest).where(open_)
        .order_by(TrainingRequest.created_at, TrainingRequest.id).limit(FIRST_FEW)
    )  # fmt: skip
    items = [
        WorkItem(
            label=f"{r.organisation_name}: {r.audience.label}, about {r.estimated_size}",
            url=url_for("events.training_request", request_id=r.id),
            detail=f"Asked {format_date(r.created_at, 'short')} · first choice "
            f"{format_date(r.preferred_1, 'short')}",
        )
        for r in rows
    ]
    return WorkList(
        "training_requests",
        "Open training requests",
        count,
        items,
        more_url=url_for("events.training_queue"),
        empty="No requests waiting.",
    )
