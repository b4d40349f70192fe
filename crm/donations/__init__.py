"""Campaigns, funds, online giving through Stripe, gifts, recurring plans and receipts."""

from flask import Blueprint

bp = Blueprint("donations", __name__)


@bp.record_once
def _raised_labels(state) -> None:
    from crm.donations.raised import LABELS

    state.app.jinja_env.globals["raised_labels"] = LABELS


from crm.donations import (  # noqa: E402,F401
    campaign_views,
    cli,
    contact_hooks,
    dev_checkout_views,
    list_columns,
    manage,
    models,
    public_views,
    receipt_views,
    receipts_cli,
    views,
    webhooks,
)
