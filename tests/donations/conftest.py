"""Factories for the donations tests."""

from datetime import timedelta

import pytest

from crm.donations.models import (
    Campaign,
    CampaignStatus,
    Donation,
    DonationStatus,
    Fund,
    PaymentMethod,
)
from crm.modelbase import utcnow
from tests.stripe_api import fake_stripe  # noqa: F401  (Stripe's API for the SDK, in-process)


@pytest.fixture
def make_fund(db):
    def factory(name="General fund", restricted=False, **fields):
        fund = Fund(name=name, restricted=restricted, **fields)
        db.session.add(fund)
        db.session.commit()
        return fund

    return factory


@pytest.fixture
def make_campaign(db):
    counter = iter(range(1, 10_000))

    def factory(slug=None, goal_cents=1_000_000, status=CampaignStatus.ACTIVE, **fields):
        n = next(counter)
        campaign = Campaign(
            name=fields.pop("name", f"Campaign {n}"), slug=slug or f"campaign-{n}",
            goal_cents=goal_cents, currency=fields.pop("currency", "USD"), status=status,
            **fields,
        )  # fmt: skip
        db.session.add(campaign)
        db.session.commit()
        return campaign

    return factory


@pytest.fixture
def make_donation(db, make_contact):
    def factory(contact=None, amount_cents=5000, **fields):
        donation = Donation(
            contact=contact or make_contact(email=None),
            amount_cents=amount_cents,
            currency=fields.pop("currency", "USD"),
            status=fields.pop("status", DonationStatus.SUCCEEDED),
            method=fields.pop("method", PaymentMethod.CARD),
            received_at=fields.pop("received_at", utcnow() - timedelta(minutes=5)),
            **fields,
        )
        db.session.add(donation)
        db.session.commit()
        return donation

    return factory
