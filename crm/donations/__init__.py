"""Campaigns, funds, online giving through Stripe, gifts, recurring plans and receipts."""

from flask import Blueprint

bp = Blueprint("donations", __name__)

from crm.donations import (  # noqa: E402,F401
    attention_views,
    campaign_views,
    cli,
    contact_hooks,
    erasure,
    ledger_models,
    manage,
    models,
    payout_views,
    public_views,
    receipt_views,
    receipts_cli,
    stripe_cli,
    views,
    webhooks,
)
