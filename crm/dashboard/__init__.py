"""The dashboard: read-only figures from the other domains, drawn from summary tables that
every write keeps current (maintain.py), and the lists and CSV reports behind its tiles."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from crm.dashboard import (  # noqa: E402,F401
    cli,
    event_tiles,
    maintain,
    models,
    money_tiles,
    outreach_tiles,
    pledge_tiles,
    raised_reader,
    reports,
    views,
    volunteer_tiles,
)

maintain.register()
