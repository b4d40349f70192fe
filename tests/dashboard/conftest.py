"""Factories for the dashboard tests: gifts at a local time, and the summaries as data."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from crm.dashboard.models import Counter, DonorSummary, EventFact, GiftRollup
from tests.donations.conftest import make_campaign, make_donation, make_fund  # noqa: F401

ZONE = ZoneInfo("America/New_York")  # TestingConfig's ORG_TIMEZONE


def local(*parts) -> datetime:
    """A moment given as local wall-clock time in the organisation's time zone."""
    return datetime(*parts, tzinfo=ZONE)


@pytest.fixture
def gift(make_donation, make_contact):  # noqa: F811
    """make_donation with a local time: gift(contact, cents, local(...), **fields)."""

    def factory(contact=None, amount_cents=5000, when=None, **fields):
        if when is not None:
            fields["received_at"] = when
        return make_donation(contact or make_contact(email=None), amount_cents, **fields)

    return factory


def summaries(db) -> dict:
    """Every summary row that says something (rows added up to zero say nothing)."""
    db.session.expire_all()
    rollups = {
        (r.grain, r.bucket, r.campaign_id, r.fund_id, r.source): (
            r.gifts, r.gross_cents, r.refunded_cents, r.fee_cents)
        for r in db.session.scalars(select(GiftRollup))
        if any((r.gifts, r.gross_cents, r.refunded_cents, r.fee_cents))
    }  # fmt: skip
    counters = {
        (c.campaign_id, c.metric, c.bucket): c.value
        for c in db.session.scalars(select(Counter))
        if c.value
    }
    donors = {
        (d.contact_id, d.campaign_id): (d.first_day, d.last_day, d.last_fy, d.last_fy_cents,
                                        d.gifts, d.given_cents, tuple(d.months))
        for d in db.session.scalars(select(DonorSummary))
    }  # fmt: skip
    facts = {e.event_id: e.facts for e in db.session.scalars(select(EventFact))}
    db.session.rollback()
    return {"rollups": rollups, "counters": counters, "donors": donors, "facts": facts}
