"""Events and trainings: public listing and registration with a waitlist, training requests,
check-in, headcount-only attendance, people reached, reminders and follow-up."""

from flask import Blueprint

bp = Blueprint("events", __name__)

from crm.events import manage, models, timeline, views, waiting, work_hooks  # noqa: E402,F401
