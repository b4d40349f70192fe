"""Campaigns, funds, appeals, gifts, recurring plans, refunds, disputes, receipts and the
Stripe events that drive them. Money is integer minor units with an ISO currency code."""

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.contacts.models import Contact
from crm.extensions import db
from crm.modelbase import TimestampMixin, UTCDateTime, enum_column, utcnow

JSONType = JSON().with_variant(JSONB(), "postgresql")


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"  # being prepared; its giving page is not open
    ACTIVE = "active"  # accepting gifts
    CLOSED = "closed"  # finished; the giving page says so


class Frequency(enum.StrEnum):
    ONE_TIME = "one_time"  # a single gift
    MONTHLY = "monthly"  # a recurring plan charged every month


class PaymentMethod(enum.StrEnum):
    CARD = "card"  # online through Stripe
    CASH = "cash"
    CHEQUE = "cheque"
    BANK_TRANSFER = "bank_transfer"
    IN_KIND = "in_kind"  # goods or services, valued at fair market value
    ONLINE = "online"  # through another online platform (PayPal, Venmo, Cash App, a giving site)
    OTHER = "other"  # a method the other system did not record, or one with no name here

    @property
    def label(self) -> str:
        return {
            "card": "Card (online)",
            "bank_transfer": "Bank transfer",
            "in_kind": "In kind",
            "online": "Online platform",
            "other": "Other or not recorded",
        }.get(self.value, self.value.capitalize())


class DonationStatus(enum.StrEnum):
    PENDING = "pending"  # paid by a method that settles later (e.g. bank debit)
    SUCCEEDED = "succeeded"  # money received
    FAILED = "failed"  # the payment did not go through
    PARTIALLY_REFUNDED = "partially_refunded"  # part of it was given back
    REFUNDED = "refunded"  # all of it was given back (or a dispute was lost)


# Which status may follow which; anything else is a bug or an out-of-order event.
DONATION_TRANSITIONS = {
    DonationStatus.PENDING: {DonationStatus.SUCCEEDED, DonationStatus.FAILED},
    DonationStatus.SUCCEEDED: {DonationStatus.PARTIALLY_REFUNDED, DonationStatus.REFUNDED},
    DonationStatus.PARTIALLY_REFUNDED: {DonationStatus.PARTIALLY_REFUNDED, DonationStatus.REFUNDED},
    DonationStatus.FAILED: set(),
    DonationStatus.REFUNDED: set(),
}


class DisputeStatus(enum.StrEnum):
    OPEN = "open"  # the donor's bank is contesting the charge
    WON = "won"  # resolved in our favour; the gift stands
    LOST = "lost"  # the bank took the money back (a chargeback); counts as money returned


class RefundKind(enum.StrEnum):
    REFUND = "refund"  # we gave the money back to the donor
    CHARGEBACK = "chargeback"  # the donor's bank took it back: a dispute was lost


class PlanStatus(enum.StrEnum):
    INCOMPLETE = "incomplete"  # checkout done, first payment not confirmed yet
    ACTIVE = "active"  # charging every month
    PAST_DUE = "past_due"  # the last charge failed; Stripe is retrying
    CANCELLED = "cancelled"  # ended by the donor, staff or Stripe


class ReceiptKind(enum.StrEnum):
    ORIGINAL = "original"  # the first receipt of a gift
    CORRECTED = "corrected"  # replaces an earlier receipt after money went back
    VOID_NOTICE = "void_notice"  # says an earlier receipt is void: nothing is left to deduct


class ReceiptStatus(enum.StrEnum):
    CURRENT = "current"  # the gift's receipt in force
    REPLACED = "replaced"  # a corrected receipt took its place
    VOID = "void"  # a void notice cancelled it


class IntentStatus(enum.StrEnum):
    CREATED = "created"  # validated on our side, not yet at Stripe
    CHECKOUT = "checkout"  # a Checkout Session was created; the donor is paying
    COMPLETED = "completed"  # Stripe confirmed the payment by webhook
    EXPIRED = "expired"  # abandoned or failed


class Fund(db.Model):
    """Where a gift is designated: the general fund or a restricted purpose."""

    __tablename__ = "funds"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<Fund {self.name}>"


class Campaign(TimestampMixin, db.Model):
    __tablename__ = "campaigns"
    __audited__ = True
    __table_args__ = (CheckConstraint("goal_cents >= 0", name="goal_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    goal_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus), default=CampaignStatus.DRAFT
    )
    default_fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"))

    default_fund: Mapped[Fund | None] = relationship()

    def __repr__(self) -> str:
        return f"<Campaign {self.slug}>"


class Appeal(db.Model):
    """A source code on giving links (`?source=spring-letter`) and what it stands for."""

    __tablename__ = "appeals"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))

    def __repr__(self) -> str:
        return f"<Appeal {self.code}>"


def _public_id() -> str:
    return uuid.uuid4().hex


class DonationIntent(db.Model):
    """What a donor asked to give, validated and stored before the hand-off to Stripe.
    Stripe only ever sees amounts taken from here, never from the browser."""

    __tablename__ = "donation_intents"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=_public_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"))
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency))
    amount_cents: Mapped[int] = mapped_column(Integer)  # the gift, before any covered fee
    covered_fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    tribute_type: Mapped[str | None] = mapped_column(String(10))  # "honour" or "memory"
    tribute_name: Mapped[str | None] = mapped_column(String(200))
    tribute_notify_email: Mapped[str | None] = mapped_column(String(254))
    comment: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[IntentStatus] = mapped_column(
        enum_column(IntentStatus), default=IntentStatus.CREATED
    )
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)

    campaign: Mapped["Campaign"] = relationship()
    fund: Mapped[Fund | None] = relationship()

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.covered_fee_cents

    def __repr__(self) -> str:
        return f"<DonationIntent {self.public_id} {self.amount_cents} {self.currency}>"


class RecurringPlan(TimestampMixin, db.Model):
    __tablename__ = "recurring_plans"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"))
    intent_id: Mapped[int | None] = mapped_column(ForeignKey("donation_intents.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PlanStatus] = mapped_column(
        enum_column(PlanStatus), default=PlanStatus.INCOMPLETE
    )
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    past_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it last lapsed

    contact: Mapped[Contact] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    fund: Mapped[Fund | None] = relationship()

    def __repr__(self) -> str:
        return f"<RecurringPlan {self.id} {self.status}>"


def gift_net(amount_cents: int, refunded_cents: int, fee_cents: int | None) -> int:
    """What the organisation keeps of a gift (also for exports that read plain columns)."""
    return amount_cents - refunded_cents - (fee_cents or 0)


def gift_deductible(amount_cents: int, refunded_cents: int, benefit_cents: int) -> int:
    return max(amount_cents - refunded_cents - benefit_cents, 0)


class Donation(TimestampMixin, db.Model):
    """A gift: online through Stripe, or recorded by staff (cash, cheque, transfer, in kind)."""

    __tablename__ = "donations"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refund_within_amount"
        ),
        Index("ix_donations_received_at", "received_at"),
        Index("ix_donations_campaign_received", "campaign_id", "received_at"),
        Index("ix_donations_contact_received", "contact_id", "received_at"),  # a donor's history
        Index(
            "ix_donations_receipt_due",
            "receipt_due",
            postgresql_where=text("receipt_due"),
            sqlite_where=text("receipt_due"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"))
    recurring_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("recurring_plans.id"), index=True
    )
    intent_id: Mapped[int | None] = mapped_column(ForeignKey("donation_intents.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)  # what the donor gave, fee cover included
    currency: Mapped[str] = mapped_column(String(3))
    covered_fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Stripe's fees on the gift: its processing fee plus the fees of disputes not returned.
    fee_cents: Mapped[int | None] = mapped_column(Integer)
    # The processing fee alone, from the charge's balance transaction (None: not fetched yet).
    processing_fee_cents: Mapped[int | None] = mapped_column(Integer)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    benefit_cents: Mapped[int] = mapped_column(Integer, default=0)  # fair market value received
    status: Mapped[DonationStatus] = mapped_column(enum_column(DonationStatus))
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod))
    # Another system's word for a method with no name here (the method is then "other").
    method_detail: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str | None] = mapped_column(String(60))
    cheque_number: Mapped[str | None] = mapped_column(String(40))
    in_kind_description: Mapped[str | None] = mapped_column(String(500))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    tribute_type: Mapped[str | None] = mapped_column(String(10))
    tribute_name: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(String(1000))
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Its receipt must be issued or corrected; the receipt job numbers due gifts in batches.
    receipt_due: Mapped[bool] = mapped_column(Boolean, default=False)
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(255), unique=True)

    contact: Mapped[Contact] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    fund: Mapped[Fund | None] = relationship()
    recurring_plan: Mapped[RecurringPlan | None] = relationship()
    refunds: Mapped[list["Refund"]] = relationship(
        back_populates="donation", order_by="Refund.created_at"
    )
    disputes: Mapped[list["Dispute"]] = relationship(back_populates="donation")
    receipts: Mapped[list["Receipt"]] = relationship(
        back_populates="donation", order_by="Receipt.issued_at, Receipt.id"
    )
    # The receipt in force (original or corrected, or the void notice that ended them).
    receipt: Mapped["Receipt | None"] = relationship(
        primaryjoin="and_(Receipt.donation_id == Donation.id, Receipt.status == 'current')",
        viewonly=True,
        uselist=False,
    )

    @property
    def net_cents(self) -> int:
        return gift_net(self.amount_cents, self.refunded_cents, self.fee_cents)

    @property
    def charged_back_cents(self) -> int:
        return sum(r.amount_cents for r in self.refunds if r.kind == RefundKind.CHARGEBACK)

    @property
    def deductible_cents(self) -> int:
        return gift_deductible(self.amount_cents, self.refunded_cents, self.benefit_cents)

    def __repr__(self) -> str:
        return f"<Donation {self.id} {self.amount_cents} {self.currency} {self.status}>"


class Refund(db.Model):
    __tablename__ = "refunds"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(255))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    kind: Mapped[RefundKind] = mapped_column(enum_column(RefundKind), default=RefundKind.REFUND)
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("disputes.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    donation: Mapped[Donation] = relationship(back_populates="refunds")

    def __repr__(self) -> str:
        return f"<Refund {self.id} {self.amount_cents}>"


class Dispute(db.Model):
    __tablename__ = "disputes"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    stripe_dispute_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[DisputeStatus] = mapped_column(enum_column(DisputeStatus))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)  # Stripe's dispute fee
    fee_returned_cents: Mapped[int] = mapped_column(Integer, default=0)  # given back when won

    donation: Mapped[Donation] = relationship(back_populates="disputes")

    def __repr__(self) -> str:
        return f"<Dispute {self.stripe_dispute_id} {self.status}>"


class ReceiptCounter(db.Model):
    """The last receipt number issued in a year; its row lock keeps numbering gap-free."""

    __tablename__ = "receipt_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Receipt(db.Model):
    """A numbered receipt document, never edited once issued: a refund or a lost dispute
    after it brings a corrected receipt or a void notice, and this one is marked replaced or
    void. Its figures and `snapshot` are what was true when it was issued."""

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("year", "sequence"),
        # One receipt in force per gift, however many corrections raced.
        Index(
            "uq_receipts_current",
            "donation_id",
            unique=True,
            postgresql_where=text("status = 'current'"),
            sqlite_where=text("status = 'current'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. "2026-000042"
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[ReceiptKind] = mapped_column(
        enum_column(ReceiptKind), default=ReceiptKind.ORIGINAL
    )
    status: Mapped[ReceiptStatus] = mapped_column(
        enum_column(ReceiptStatus), default=ReceiptStatus.CURRENT
    )
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)  # returned by then
    benefit_cents: Mapped[int] = mapped_column(Integer, default=0)
    deductible_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # Donor, address, fund, method... as printed when issued (older receipts have none).
    snapshot: Mapped[dict | None] = mapped_column(JSONType)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set once, when queued

    donation: Mapped[Donation] = relationship(back_populates="receipts")
    replaces: Mapped["Receipt | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Receipt {self.number}>"


class YearEndStatement(db.Model):
    """One consolidated statement per donor and year; its row makes re-runs send nothing twice."""

    __tablename__ = "year_end_statements"
    __table_args__ = (UniqueConstraint("contact_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    deductible_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship()


class StripeEventStatus(enum.StrEnum):
    RECEIVED = "received"  # stored and acknowledged; the job queue handles it
    PROCESSED = "processed"  # handled
    FAILED = "failed"  # handling raised; retried automatically with growing pauses
    WAITING = "waiting"  # about a gift or plan another event has yet to bring; replayed then
    ATTENTION = "attention"  # cannot be handled without staff (Needs attention list)
    DISMISSED = "dismissed"  # staff decided nothing is to be recorded, with a note


class StripeEvent(db.Model):
    """Every webhook event the CRM uses, stored once by its id before it is handled."""

    __tablename__ = "stripe_events"
    # Only the few events that wait or are retried are indexed by when and what: the
    # webhook's INSERT, on the path of every delivery, writes no entry in these.
    __table_args__ = (
        Index(
            "ix_stripe_events_next_attempt_at",
            "next_attempt_at",
            postgresql_where=text("next_attempt_at IS NOT NULL"),
            sqlite_where=text("next_attempt_at IS NOT NULL"),
        ),
        Index(
            "ix_stripe_events_waiting_for",
            "waiting_for",
            postgresql_where=text("waiting_for IS NOT NULL"),
            sqlite_where=text("waiting_for IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80), index=True)
    payload: Mapped[dict] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[StripeEventStatus] = mapped_column(
        enum_column(StripeEventStatus), default=StripeEventStatus.RECEIVED, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(1000))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "payment_intent pi_...": the record it waits for; replayed as soon as that is known.
    waiting_for: Mapped[str | None] = mapped_column(String(300))
    # What staff chose on the Needs attention list: {"contact_id": 7} or {"donation_id": 9}.
    resolution: Mapped[dict | None] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # staff emailed about it

    def __repr__(self) -> str:
        return f"<StripeEvent {self.id} {self.type} {self.status}>"
