"""Writing audit events. Model changes are captured by `listeners`; other actions
(sign-in, merge, viewing sensitive data) are recorded here explicitly."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import insert

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.modelbase import utcnow

_UNSET = object()


def current_actor_id() -> int | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def jsonable(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def audit_row(action, entity_type, entity_id, changes, actor_id=_UNSET, summary=None) -> dict:
    return {
        "occurred_at": utcnow(),
        "actor_id": current_actor_id() if actor_id is _UNSET else actor_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "summary": (summary or "")[:255] or None,
        "changes": {key: jsonable(value) for key, value in changes.items()},
    }


def record_event(
    action: str,
    entity_type: str,
    entity_id: int | None,
    changes: dict,
    *,
    actor_id=_UNSET,
    summary: str | None = None,
) -> None:
    """Insert an audit row in the current transaction."""
    row = audit_row(action, entity_type, entity_id, changes, actor_id, summary)
    db.session.execute(insert(AuditEvent), [row])
