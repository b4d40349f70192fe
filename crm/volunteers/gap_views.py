"""The lists behind the dashboard's "unfilled places" and "credentials expiring": shifts with
places to fill in the coming days, and credentials about to expire, paged on the server.
Coordinators and admins."""

from flask import render_template, request
from sqlalchemy import select

from crm.auth.access import role_required
from crm.auth.roles import Role
from crm.extensions import db
from crm.paging import paginate_rows
from crm.volunteers import bp, gaps
from crm.volunteers.models import CredentialType

MAX_PAGE = 1_000_000
WINDOWS = (14, 30, 60, 90)


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


@bp.get("/volunteers/staffing-gaps")
@role_required(Role.COORDINATOR)
def staffing_gaps():
    days = request.args.get("days", gaps.GAP_DAYS, type=int)
    days = days if days in WINDOWS else gaps.GAP_DAYS
    youth = request.args.get("youth") == "1"
    query = gaps.gaps_query(days=days, youth_only=youth)
    return render_template(
        "volunteers/staffing_gaps.html",
        pagination=paginate_rows(query, _page()),
        days=days,
        youth=youth,
        windows=WINDOWS,
    )


@bp.get("/volunteers/credentials/expiring")
@role_required(Role.COORDINATOR)
def expiring_credentials():
    days = request.args.get("days", 30, type=int)
    days = days if days in WINDOWS else 30
    type_id = request.args.get("type", type=int)
    types = db.session.scalars(select(CredentialType).order_by(CredentialType.name)).all()
    type_id = type_id if any(t.id == type_id for t in types) else None
    query = gaps.expiring_query(days, type_id=type_id)
    pagination = db.paginate(query, page=_page(), per_page=25, error_out=False)
    return render_template("volunteers/expiring.html", pagination=pagination, days=days,
                           types=types, type_id=type_id, windows=WINDOWS)  # fmt: skip
