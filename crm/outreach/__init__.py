"""Reaching supporters: segments, mailings with consent per topic and one-click unsubscribe,
bounces, and what each mailing brought. Sends through mail/ and the job queue; reads the
other domains' records; nothing imports it but the dashboard."""

from flask import Blueprint

bp = Blueprint("outreach", __name__)

from crm.outreach import (  # noqa: E402,F401
    campaign_section,
    cli,
    consent,
    mailing_views,
    preview_views,
    privacy,
    public_views,
    segment_views,
    timeline,
)

consent.register()
