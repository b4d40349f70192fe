"""Campaigns, funds, online giving through Stripe, gifts, recurring plans and receipts."""

from flask import Blueprint

bp = Blueprint("donations", __name__)

from crm.donations import (  # noqa: E402,F401
    campaign_views,
    cli,
    contact_hooks,
    list_columns,
    manage,
    models,
    public_views,
    receipt_views,
    receipts_cli,
    views,
    webhooks,
)
