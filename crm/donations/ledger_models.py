"""Stripe's side of the books: payouts and the balance transactions each one carried, and the
small records that keep staff alerts and the webhook's health."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.donations.models import Dispute, Donation, Refund
from crm.extensions import db
from crm.modelbase import UTCDateTime, enum_column, utcnow


class PayoutStatus(enum.StrEnum):
    FETCHING = "fetching"  # recorded from payout.paid; its transactions are being fetched
    INCOMPLETE = "incomplete"  # not every transaction could be fetched; tried again later
    BALANCED = "balanced"  # every transaction fetched and they add up to the amount paid
    UNBALANCED = "unbalanced"  # every transaction fetched, and they do not add up


class LineKind(enum.StrEnum):
    """How a balance transaction reads to a bookkeeper."""

    GIFT = "gift"  # a charge: a donor's payment
    REFUND = "refund"  # money given back to a donor
    DISPUTE = "dispute"  # taken by a dispute (with its fee), or returned when won
    FEE = "fee"  # a Stripe fee billed on its own (e.g. for a service)
    ADJUSTMENT = "adjustment"  # anything else: corrections, reserves, transfers
    PAYOUT = "payout"  # the payout itself (money sent to the bank)


class Payout(db.Model):
    """Money Stripe sent to the bank: `payout.paid`, with the transactions it carried.
    `payout.failed` marks it failed: the bank refused it and Stripe put the money back in
    the balance, to be paid out again (a `payout_failure` line of a later payout)."""

    __tablename__ = "stripe_payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_payout_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)  # what reached the bank
    currency: Mapped[str] = mapped_column(String(3))
    arrival_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    status: Mapped[PayoutStatus] = mapped_column(
        enum_column(PayoutStatus), default=PayoutStatus.FETCHING
    )
    error: Mapped[str | None] = mapped_column(String(1000))  # why it is incomplete
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Stripe said it failed
    failure: Mapped[str | None] = mapped_column(String(500))  # Stripe's code and message

    lines: Mapped[list["PayoutLine"]] = relationship(
        back_populates="payout", order_by="PayoutLine.created_at, PayoutLine.id"
    )

    def __repr__(self) -> str:
        return f"<Payout {self.stripe_payout_id} {self.status}>"


class PayoutLine(db.Model):
    """One balance transaction of a payout, and the CRM record it belongs to, if any."""

    __tablename__ = "stripe_payout_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("stripe_payouts.id"), index=True)
    balance_transaction_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind))
    stripe_type: Mapped[str] = mapped_column(String(60))  # Stripe's `type`
    category: Mapped[str | None] = mapped_column(String(60))  # Stripe's `reporting_category`
    source_id: Mapped[str | None] = mapped_column(String(255))  # ch_, re_, dp_, ...
    description: Mapped[str | None] = mapped_column(String(500))
    amount_cents: Mapped[int] = mapped_column(Integer)  # positive in, negative out
    fee_cents: Mapped[int] = mapped_column(Integer)
    net_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donations.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("disputes.id"))

    payout: Mapped[Payout] = relationship(back_populates="lines")
    donation: Mapped[Donation | None] = relationship()
    refund: Mapped[Refund | None] = relationship()
    dispute: Mapped[Dispute | None] = relationship()

    def __repr__(self) -> str:
        return f"<PayoutLine {self.balance_transaction_id} {self.kind} {self.net_cents}>"


class StaffDigest(db.Model):
    """When a staff digest (past-due plans, Stripe events needing attention) last went out."""

    __tablename__ = "staff_digests"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookRefusal(db.Model):
    """Deliveries refused for a bad signature: one row per day, so that `stripe-check` can
    tell a signing secret that does not match Stripe's from one that does."""

    __tablename__ = "stripe_webhook_refusals"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # UTC, YYYY-MM-DD
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_reason: Mapped[str | None] = mapped_column(Text)
