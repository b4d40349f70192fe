"""A new training request sets coordinators a task to follow it up, in the flush that
stores it (the public form, or staff)."""

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from crm.auth.roles import Role
from crm.events.models import TrainingRequest
from crm.work.services import auto_due, insert_auto_tasks

FOLLOW_UP_DAYS = 2


def _after_flush(session: Session, flush_context) -> None:
    if not has_app_context():
        return
    requests = [o for o in session.new if isinstance(o, TrainingRequest)]
    if not requests:
        return
    insert_auto_tasks(session.connection(), [
        {"title": f"Follow up the training request from {r.organisation_name}"[:200],
         "auto_key": f"training:{r.id}", "due_on": auto_due(FOLLOW_UP_DAYS),
         "team": Role.COORDINATOR, "assignee_id": None, "training_request_id": r.id,
         "contact_id": r.contact_id}
        for r in requests
    ])  # fmt: skip


if not event.contains(Session, "after_flush", _after_flush):
    event.listen(Session, "after_flush", _after_flush)
