from flask import redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from crm.auth.access import enrolment_redirect, public
from crm.events.services import upcoming_public_events
from crm.extensions import db, talisman
from crm.main import bp
from crm.work.home import work_for

WELCOME_EVENTS = 3  # the next few, to show there is something to come to


@bp.get("/")
@public
def home():
    """Visitors get the organisation's front door, volunteers their portal, staff the CRM's
    home page."""
    if not current_user.is_authenticated:
        coming = upcoming_public_events()[:WELCOME_EVENTS]
        return render_template("main/welcome.html", events=coming)
    enrolment = enrolment_redirect()
    if enrolment is not None:
        return enrolment
    if not current_user.is_staff:
        return redirect(url_for("volunteers.portal"))
    return render_template("main/home.html", work=work_for(current_user))


@bp.get("/healthz")
@public
@talisman(force_https=False)
def health():
    """For the load balancer, which asks over plain HTTP: answered even with FORCE_HTTPS
    (every other page redirects to HTTPS)."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
