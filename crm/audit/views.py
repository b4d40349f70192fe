from flask import render_template, request
from sqlalchemy import select

from crm.audit import bp
from crm.audit.models import AuditEvent
from crm.auth.access import role_required
from crm.auth.models import User
from crm.auth.roles import Role
from crm.extensions import db


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    entity_type = request.args.get("entity_type", "").strip()[:60]
    entity_id = request.args.get("entity_id", type=int)
    action = request.args.get("action", "").strip()[:40]
    actor_id = request.args.get("actor_id", type=int)
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    pagination = db.paginate(
        query, page=max(request.args.get("page", 1, type=int), 1), per_page=50, error_out=False
    )
    actors = {u.id: u for u in db.session.scalars(select(User))}
    entity_types = db.session.scalars(
        select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)
    ).all()
    return render_template(
        "audit/index.html",
        pagination=pagination,
        actors=actors,
        entity_types=entity_types,
        filters={
            "entity_type": entity_type,
            "entity_id": entity_id,
            "action": action,
            "actor_id": actor_id,
        },
    )
