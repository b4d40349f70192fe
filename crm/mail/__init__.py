"""Outgoing mail for every feature: render, store in the outbox, deliver from a worker."""

from flask import Blueprint

bp = Blueprint("mail", __name__, url_prefix="/admin/outbox")

from crm.mail import views  # noqa: E402,F401
