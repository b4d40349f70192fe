import pytest
from sqlalchemy import select

from crm.donations import services
from crm.donations.models import (
    CampaignStatus,
    DonationStatus,
    PaymentMethod,
    Receipt,
)
from crm.modelbase import utcnow

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def test_fee_cover_leaves_the_charity_the_whole_gift(app, db):
    cover = services.fee_to_cover(5000)
    gross = 5000 + cover
    fee = (
        round(gross * app.config["FEE_PERCENT_BASIS_POINTS"] / 10_000)
        + app.config["FEE_FIXED_CENTS"]
    )
    assert gross - fee in (5000, 5001)  # never less than the gift
    assert cover == 144  # 2.2 % + 30 cents on $50, rounded up


@pytest.mark.parametrize("amount", [0, 499, 2_500_001])
def test_amounts_outside_the_limits_are_refused(db, amount):
    with pytest.raises(services.DonationError):
        services.check_amount(amount)


def test_donor_matched_by_email_in_any_case(db, make_contact):
    existing = make_contact(email="Dana@Example.org")
    assert services.find_or_create_donor("dana@EXAMPLE.org", "D", "X").id == existing.id
    new = services.find_or_create_donor("new@example.org", "Nia", "New")
    assert new.id != existing.id and new.email == "new@example.org"


def test_open_campaign_respects_status_and_dates(db, make_campaign):
    from datetime import timedelta

    today = services.org_today()
    assert services.open_campaign(make_campaign(slug="open").slug) is not None
    assert services.open_campaign(make_campaign(slug="d", status=CampaignStatus.DRAFT).slug) is None
    assert (
        services.open_campaign(make_campaign(slug="old", ends_on=today - timedelta(1)).slug) is None
    )
    assert (
        services.open_campaign(make_campaign(slug="soon", starts_on=today + timedelta(1)).slug)
        is None
    )
    assert services.open_campaign("missing") is None


def test_partial_then_full_refund(db, make_donation):
    donation = make_donation(amount_cents=10_000, stripe_payment_intent_id="pi_1")
    services.apply_refund(donation, 2500, stripe_refund_id="re_1")
    assert donation.status == DonationStatus.PARTIALLY_REFUNDED
    assert services.apply_refund(donation, 2500, stripe_refund_id="re_1") is None  # replayed
    services.apply_refund(donation, 7500, stripe_refund_id="re_2")
    assert donation.status == DonationStatus.REFUNDED and donation.refunded_cents == 10_000
    with pytest.raises(services.DonationError):
        services.apply_refund(donation, 1)


def test_refund_cannot_exceed_what_is_left(db, make_donation):
    donation = make_donation(amount_cents=1000, method=PaymentMethod.CASH)
    with pytest.raises(services.DonationError, match="more than what is left"):
        services.apply_refund(donation, 1001)
    with pytest.raises(services.DonationError, match="more than zero"):
        services.apply_refund(donation, 0)


def test_status_transitions_are_enforced(db, make_donation):
    donation = make_donation(status=DonationStatus.FAILED)
    with pytest.raises(services.DonationError):
        services.set_status(donation, DonationStatus.SUCCEEDED)


def test_offline_gift_is_receipted_with_the_next_number(db, make_contact):
    contact = make_contact(email="cash@example.org")
    gifts = [
        services.record_offline_gift(
            contact, {"method": "cash", "amount_cents": 2000 + n, "received_at": utcnow()}
        )
        for n in range(3)
    ]
    db.session.commit()
    numbers = [g.receipt.sequence for g in gifts]
    assert numbers == [1, 2, 3]
    assert db.session.scalars(select(Receipt.number)).all()[0].endswith("-000001")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "cheque"}, "cheque number"),
        ({"method": "in_kind"}, "Describe"),
        ({"method": "card"}, "Stripe"),
        ({"method": "cash", "benefit_cents": 5000}, "benefit"),
    ],
)
def test_offline_gift_rules(db, make_contact, data, message):
    with pytest.raises(services.DonationError, match=message):
        services.record_offline_gift(
            make_contact(), {"amount_cents": 1000, "received_at": utcnow(), **data}
        )
