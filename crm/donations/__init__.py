"""Campaigns, funds, online giving through Stripe, gifts, recurring plans and receipts."""

from flask import Blueprint

bp = Blueprint("donations", __name__)


@bp.record_once
def _raised_labels(state) -> None:
    from crm.donations.raised import LABELS

    state.app.jinja_env.globals["raised_labels"] = LABELS


from crm.donations import (  # noqa: E402,F401
    attention_views,
    campaign_views,
    cli,
    contact_hooks,
    credit_models,
    credit_views,
    dev_checkout_views,
    erasure,
    follow_up,
    ledger_models,
    list_columns,
    manage,
    models,
    payout_views,
    pledge_cli,
    pledge_models,
    pledge_views,
    public_views,
    receipt_views,
    receipts_cli,
    stripe_cli,
    views,
    waiting,
    webhooks,
)

follow_up.register()
