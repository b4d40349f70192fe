from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select, text

from crm.auth.access import login_required, public
from crm.contacts.models import Contact, Organisation
from crm.extensions import db
from crm.main import bp


@bp.get("/")
@login_required
def home():
    counts = {}
    if current_user.is_staff:
        counts = {
            "contacts": db.session.scalar(select(func.count()).select_from(Contact)),
            "organisations": db.session.scalar(select(func.count()).select_from(Organisation)),
        }
    return render_template("main/home.html", counts=counts)


@bp.get("/healthz")
@public
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
