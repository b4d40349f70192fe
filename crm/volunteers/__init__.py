"""Volunteers: applications, safeguarding credentials that gate youth-facing shifts, shifts
with sign-up and waitlists, check-in and hours, reminders and the volunteer portal."""

from flask import Blueprint

bp = Blueprint("volunteers", __name__)

from crm.volunteers import (  # noqa: E402,F401
    gap_views,
    models,
    portal,
    retention,
    shift_views,
    timeline,
    views,
    waiting,
)
