"""Data in and out: CSV imports that can be undone, the duplicate review queue, a person's
data export and erasure, the consent log, retention and backups."""

from flask import Blueprint

bp = Blueprint("dataio", __name__)

from crm.dataio import privacy_views, refund_views, views, waiting  # noqa: E402,F401
