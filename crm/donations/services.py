"""Gifts, donors, refunds and receipts. Services add and flush; the caller commits."""

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crm.contacts import services as contacts
from crm.contacts.models import Contact
from crm.contacts.normalise import email_key
from crm.donations.models import (
    DONATION_TRANSITIONS,
    Campaign,
    CampaignStatus,
    Donation,
    DonationIntent,
    DonationStatus,
    Fund,
    PaymentMethod,
    PlanStatus,
    ReceiptCounter,
    RecurringPlan,
    Refund,
    RefundKind,
)
from crm.donations.raised import raised
from crm.extensions import db
from crm.jobs import enqueue_after_commit
from crm.modelbase import utcnow


class DonationError(ValueError):
    """A money operation that cannot be done; the message is for the user."""


# --- campaigns ---------------------------------------------------------------------------


def open_campaign(slug: str) -> Campaign | None:
    """The campaign whose giving page may take gifts today, or None."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None or campaign.status != CampaignStatus.ACTIVE:
        return None
    today = org_today()
    if (campaign.starts_on and today < campaign.starts_on) or (
        campaign.ends_on and today > campaign.ends_on
    ):
        return None
    return campaign


def org_today():
    return datetime.now(ZoneInfo(current_app.config["ORG_TIMEZONE"])).date()


def campaign_progress(campaign: Campaign) -> dict:
    """The goal thermometer: raised since the campaign began (crm.donations.raised)."""
    figures = raised(campaign.id)
    return {
        "raised": figures,
        "raised_cents": figures.net_of_refunds_cents,
        "donors": figures.donors,
        "goal_cents": campaign.goal_cents,
        "percent": figures.percent_of(campaign.goal_cents),
        "currency": campaign.currency,
    }


# --- amounts ------------------------------------------------------------------------------


def fee_to_cover(amount_cents: int) -> int:
    """What to add so that, after the processor's fee, the charity receives `amount_cents`."""
    config = current_app.config
    rate = config["FEE_PERCENT_BASIS_POINTS"] / 10_000
    gross = math.ceil((amount_cents + config["FEE_FIXED_CENTS"]) / (1 - rate))
    return gross - amount_cents


def check_amount(amount_cents: int) -> None:
    config = current_app.config
    if amount_cents < config["GIFT_MIN_CENTS"]:
        raise DonationError("The amount is below the minimum gift.")
    if amount_cents > config["GIFT_MAX_CENTS"]:
        raise DonationError("The amount is above the maximum gift we can take online.")


# --- donors -------------------------------------------------------------------------------


def find_or_create_donor(email: str, first_name: str, last_name: str) -> Contact:
    """Match by normalised email (the foundation's duplicate rule), or create the contact.
    Two first gifts from a new donor processed at the same moment make one contact: on
    PostgreSQL the second waits for the first's transaction (SQLite has one writer)."""
    key = email_key(email)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"),
            {"name": f"crm.donor:{key}"},
        )
    existing = db.session.scalars(
        select(Contact).where(Contact.email_key == key).order_by(Contact.id)
    ).first()
    if existing is not None:
        return existing
    return contacts.create_contact(
        {"first_name": first_name or "Unknown", "last_name": last_name or "Donor", "email": email}
    )


# --- gifts --------------------------------------------------------------------------------


def create_intent(campaign: Campaign, data: dict) -> DonationIntent:
    check_amount(data["amount_cents"])
    covered = fee_to_cover(data["amount_cents"]) if data.pop("cover_fee", False) else 0
    intent = DonationIntent(
        campaign=campaign, currency=campaign.currency, covered_fee_cents=covered, **data
    )
    if intent.fund_id is None and campaign.default_fund_id:
        intent.fund_id = campaign.default_fund_id
    db.session.add(intent)
    db.session.flush()
    return intent


def set_status(donation: Donation, status: DonationStatus) -> None:
    if status == donation.status:
        return
    if status not in DONATION_TRANSITIONS[donation.status]:
        raise DonationError(f"A {donation.status.value} gift cannot become {status.value}.")
    donation.status = status


def record_offline_gift(contact: Contact, data: dict) -> Donation:
    """Cash, cheque, bank transfer or in kind, entered by staff: received and receipted."""
    method = PaymentMethod(data["method"])
    if method == PaymentMethod.CARD:
        raise DonationError(
            "Card gifts come through Stripe; record cash, cheque, transfer or in kind."
        )
    if method == PaymentMethod.CHEQUE and not data.get("cheque_number"):
        raise DonationError("Enter the cheque number.")
    if method == PaymentMethod.IN_KIND and not data.get("in_kind_description"):
        raise DonationError("Describe the goods or services given.")
    if data.get("benefit_cents", 0) > data["amount_cents"]:
        raise DonationError("The benefit received cannot be more than the gift.")
    donation = Donation(
        contact=contact,
        status=DonationStatus.SUCCEEDED,
        currency=data.pop("currency", current_app.config["CURRENCY"]),
        **data,
    )
    donation.receipt_due = True  # numbered by the receipt job, or at once by send_receipt
    db.session.add(donation)
    db.session.flush()
    mark_receipt_due(donation)
    return donation


def change_designation(donation: Donation, fund: Fund | None, campaign: Campaign | None) -> None:
    donation.fund = fund
    donation.campaign = campaign
    db.session.flush()


def check_refundable(
    donation: Donation, amount_cents: int, *, made_elsewhere: bool = False
) -> None:
    """`made_elsewhere`: the money was already given back outside the CRM (a refund in the
    system a gift was imported from), so no Stripe payment is needed to make it."""
    if donation.status not in (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED):
        raise DonationError(f"A {donation.status.value.replace('_', ' ')} gift cannot be refunded.")
    if amount_cents <= 0:
        raise DonationError("A refund must be more than zero.")
    if amount_cents > donation.amount_cents - donation.refunded_cents:
        raise DonationError("That is more than what is left of the gift.")
    if (
        donation.method == PaymentMethod.CARD
        and not donation.stripe_payment_intent_id
        and not made_elsewhere
    ):
        raise DonationError("This card gift has no Stripe payment to refund.")


def set_processing_fee(donation: Donation, fee_cents: int) -> None:
    """Stripe's processing fee, from the charge's balance transaction; the gift's fees are
    that plus the fees of its disputes not returned."""
    donation.processing_fee_cents = fee_cents
    disputes = sum(d.fee_cents - d.fee_returned_cents for d in donation.disputes)
    donation.fee_cents = fee_cents + disputes


def add_dispute_fees(donation: Donation, cents: int) -> None:
    """A dispute's fee charged (or, negative, given back) counts in the gift's fees, beside
    the processing fee whether or not that is known yet."""
    if cents:
        donation.fee_cents = (donation.fee_cents or 0) + cents


def cancel_plan(plan: RecurringPlan) -> None:
    plan.status = PlanStatus.CANCELLED
    plan.cancelled_at = plan.cancelled_at or utcnow()
    db.session.flush()


def apply_refund(
    donation: Donation,
    amount_cents: int,
    *,
    stripe_refund_id: str | None = None,
    reason: str | None = None,
    user=None,
    made_elsewhere: bool = False,
    kind: RefundKind = RefundKind.REFUND,
    dispute_id: int | None = None,
) -> Refund | None:
    """Record money given back (or taken back by the donor's bank: a chargeback). Idempotent
    by Stripe refund id; never more than the gift. A receipt already issued for the gift is
    due for a correction."""
    if stripe_refund_id:
        known = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == stripe_refund_id))
        if known is not None:
            return None
    check_refundable(donation, amount_cents, made_elsewhere=made_elsewhere)
    refund = Refund(
        donation=donation,
        amount_cents=amount_cents,
        reason=reason,
        stripe_refund_id=stripe_refund_id,
        created_by_id=user.id if user else None,
        kind=kind,
        dispute_id=dispute_id,
    )
    db.session.add(refund)
    donation.refunded_cents += amount_cents
    full = donation.refunded_cents == donation.amount_cents
    set_status(donation, DonationStatus.REFUNDED if full else DonationStatus.PARTIALLY_REFUNDED)
    if donation.receipt is not None or donation.receipt_due:
        mark_receipt_due(donation)  # a correction, or a receipt that now tells the refund
    db.session.flush()
    return refund


# --- receipts -----------------------------------------------------------------------------


def mark_receipt_due(donation: Donation) -> None:
    """The gift's receipt must be issued, or corrected: the receipt job does it after the
    commit, numbering every due gift under one short lock of the year's counter."""
    donation.receipt_due = True
    enqueue_after_commit("issue_receipts")


def receipt_year(donation: Donation) -> int:
    return donation.received_at.astimezone(ZoneInfo(current_app.config["ORG_TIMEZONE"])).year


def next_receipt_sequence(year: int) -> int:
    """Take the next number of the year. The counter row stays locked until the transaction
    ends, so concurrent gifts queue here and a rolled-back gift gives its number back."""
    take = (
        update(ReceiptCounter)
        .where(ReceiptCounter.year == year)
        .values(last_number=ReceiptCounter.last_number + 1)
        .returning(ReceiptCounter.last_number)
    )
    taken = db.session.execute(take).scalar_one_or_none()
    if taken is not None:
        return taken
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(ReceiptCounter).values(year=year, last_number=0).on_conflict_do_nothing()
    )
    return db.session.execute(take).scalar_one()
