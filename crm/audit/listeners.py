"""Record inserts, updates and deletes of models that set ``__audited__ = True``.

The rows are written with a Core insert inside the same flush, so an audit entry exists
exactly when the change it describes was committed.
"""

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Mapper, Session

from crm.audit.models import AuditEvent
from crm.audit.services import audit_row
from crm.extensions import db

_registered = False


def _audited(obj) -> bool:
    return getattr(type(obj), "__audited__", False)


def _label(obj) -> str | None:
    label = getattr(obj, "audit_label", None)
    return label() if callable(label) else None


def _column_changes(obj, only_changed: bool) -> dict:
    state = inspect(obj)
    exclude = getattr(type(obj), "__audit_exclude__", set()) | {"created_at", "updated_at"}
    changes = {}
    for attr in state.mapper.column_attrs:
        if attr.key in exclude:
            continue
        history = state.attrs[attr.key].history
        if only_changed:
            if history.has_changes():
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
                if old != new:
                    changes[attr.key] = [old, new]
        else:
            value = state.dict.get(attr.key)
            if value is not None:
                changes[attr.key] = value
    return changes


def _after_flush(session: Session, flush_context) -> None:
    rows = []
    for obj in session.new:
        if _audited(obj):
            rows.append(("create", obj, _column_changes(obj, only_changed=False)))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            changes = _column_changes(obj, only_changed=True)
            if changes:
                rows.append(("update", obj, changes))
    for obj in session.deleted:
        if _audited(obj):
            rows.append(("delete", obj, _column_changes(obj, only_changed=False)))
    if rows:
        values = [
            audit_row(action, type(obj).__name__, obj.id, changes, summary=_label(obj))
            for action, obj, changes in rows
        ]
        session.connection().execute(insert(AuditEvent), values)


def _load_old_values() -> None:
    """Make audited columns load their old value before it is overwritten, so that a change
    to an attribute that was not loaded yet is logged as [old, new] rather than [None, new]."""
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.class_, "__audited__", False):
            for prop in mapper.column_attrs:
                mapper.class_manager[prop.key].impl.active_history = True


def register() -> None:
    global _registered
    if not _registered:
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Mapper, "after_configured", _load_old_values)
        _registered = True
