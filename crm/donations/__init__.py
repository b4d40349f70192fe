"""Campaigns, funds, online giving through Stripe, gifts, recurring plans and receipts."""

from flask import Blueprint

bp = Blueprint("donations", __name__)

from crm.donations import manage, models, views  # noqa: E402,F401
