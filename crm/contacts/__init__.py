"""People and organisations: the records every other feature points to."""

from flask import Blueprint

bp = Blueprint("contacts", __name__)

from crm.contacts import organisation_views, relation_views, views  # noqa: E402,F401
