"""What waits for admins on the home page: imports that left conflicts to look at, and
possible duplicate contacts to review."""

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.auth.roles import Role
from crm.dataio.models import (
    DuplicatePair,
    DuplicateStatus,
    ImportBatch,
    ImportConflict,
    ImportStatus,
)
from crm.extensions import db
from crm.formats import format_date
from crm.work.home import FIRST_FEW, WorkItem, WorkList, capped_count, waiting

ADMINS = (Role.ADMIN,)


@waiting("import_conflicts", ADMINS, 90)
def import_conflicts(user) -> WorkList:
    conflicts = (
        select(ImportConflict.batch_id, func.count().label("n"))
        .group_by(ImportConflict.batch_id)
        .subquery()
    )
    query = (
        select(ImportBatch, conflicts.c.n)
        .join(conflicts, conflicts.c.batch_id == ImportBatch.id)
        .where(ImportBatch.status == ImportStatus.DONE)
    )
    count = capped_count(query)
    rows = db.session.execute(query.order_by(ImportBatch.created_at.desc()).limit(FIRST_FEW))
    items = [
        WorkItem(
            label=batch.filename,
            url=url_for("dataio.batch", batch_id=batch.id, _anchor="conflicts"),
            detail=f"{n} conflict{'s' if n != 1 else ''} · "
            f"imported {format_date(batch.created_at, 'short')}",
        )
        for batch, n in rows
    ]
    return WorkList("import_conflicts", "Imports with conflicts", count, items,
                    more_url=url_for("dataio.imports"), more_label="All imports",
                    empty="No import left conflicts.")  # fmt: skip


@waiting("duplicates", ADMINS, 100)
def duplicates(user) -> WorkList:
    open_ = (DuplicatePair.status == DuplicateStatus.OPEN,
             DuplicatePair.first_id != DuplicatePair.second_id)  # fmt: skip
    count = capped_count(select(DuplicatePair.id).where(*open_))
    pairs = db.session.scalars(
        select(DuplicatePair)
        .options(selectinload(DuplicatePair.first), selectinload(DuplicatePair.second))
        .where(*open_).order_by(DuplicatePair.id).limit(FIRST_FEW)
    )  # fmt: skip
    items = [
        WorkItem(
            label=f"{p.first.full_name} and {p.second.full_name}",
            url=url_for("contacts.merge", contact_id=p.first_id, other_id=p.second_id),
            detail=f"Same {p.reason}",
        )
        for p in pairs
    ]
    return WorkList(
        "duplicates",
        "Possible duplicates to review",
        count,
        items,
        more_url=url_for("dataio.duplicate_queue"),
        empty="None to review.",
    )
