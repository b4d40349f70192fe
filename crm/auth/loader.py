"""Flask-Login glue: a user is loaded only through a live server-side session record."""

from datetime import timedelta

from flask import session

from crm.auth import services
from crm.extensions import db, login_manager
from crm.modelbase import utcnow

TOUCH_EVERY = timedelta(minutes=1)


@login_manager.user_loader
def load_user(user_id: str):
    if not user_id.isdigit():
        return None
    record = services.find_session(int(user_id), session.get("sid"))
    if record is None:
        db.session.commit()  # an idle session found here has been deleted
        return None
    if utcnow() - record.last_seen_at > TOUCH_EVERY:
        record.last_seen_at = utcnow()
        db.session.commit()
    return record.user
