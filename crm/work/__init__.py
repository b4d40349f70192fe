"""Tasks and the staff's home page: what waits for each role, gathered from the domains
through a small registry (crm.work.home), so this package imports no domain."""

from flask import Blueprint

bp = Blueprint("work", __name__)

from crm.work import models, providers, views  # noqa: E402,F401
