"""Pledges: a promise to give an amount over a schedule of instalments. Payments are gifts
applied to the pledge; what is left is its balance. A pledge is not money: the dashboard's
money figures never count it, and its own tile shows pledged, received and outstanding."""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.contacts.models import Contact
from crm.donations.models import Campaign, Donation, Fund
from crm.extensions import db
from crm.modelbase import TimestampMixin, UTCDateTime, enum_column, utcnow


class PledgeStatus(enum.StrEnum):
    OPEN = "open"  # payments still expected
    FULFILLED = "fulfilled"  # paid in full
    WRITTEN_OFF = "written_off"  # what was left will not come; the reason is kept


# Which status may follow which (a refund can reopen a fulfilled pledge).
PLEDGE_TRANSITIONS = {
    PledgeStatus.OPEN: {PledgeStatus.FULFILLED, PledgeStatus.WRITTEN_OFF},
    PledgeStatus.FULFILLED: {PledgeStatus.OPEN},
    PledgeStatus.WRITTEN_OFF: set(),
}


class PledgeFrequency(enum.StrEnum):
    ONCE = "once"  # a single payment on the first due date
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"

    @property
    def label(self) -> str:
        return "In one payment" if self is PledgeFrequency.ONCE else self.value.capitalize()

    @property
    def months(self) -> int:
        return {"once": 0, "monthly": 1, "quarterly": 3, "yearly": 12}[self.value]


class Pledge(TimestampMixin, db.Model):
    __tablename__ = "pledges"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("written_off_cents >= 0", name="write_off_not_negative"),
        Index("ix_pledges_status_campaign", "status", "campaign_id"),
        Index("ix_pledges_status_next_due", "status", "next_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    pledged_on: Mapped[date] = mapped_column(Date)
    frequency: Mapped[PledgeFrequency] = mapped_column(enum_column(PledgeFrequency))
    status: Mapped[PledgeStatus] = mapped_column(
        enum_column(PledgeStatus), default=PledgeStatus.OPEN
    )
    note: Mapped[str | None] = mapped_column(String(500))
    written_off_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Kept by crm.donations.pledges.refresh whenever payments or their gifts change, so that
    # lists sort and sum them without adding up payments: what the payments count, and the
    # first instalment they do not cover (None once nothing more is expected).
    received_cents: Mapped[int] = mapped_column(Integer, default=0)
    next_due_on: Mapped[date | None] = mapped_column(Date)
    write_off_reason: Mapped[str | None] = mapped_column(String(500))
    written_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    written_off_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    contact: Mapped[Contact] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    fund: Mapped[Fund | None] = relationship()
    instalments: Mapped[list["PledgeInstalment"]] = relationship(
        back_populates="pledge", order_by="PledgeInstalment.due_on", cascade="all, delete-orphan"
    )
    payments: Mapped[list["PledgePayment"]] = relationship(
        back_populates="pledge", order_by="PledgePayment.applied_at"
    )

    def __repr__(self) -> str:
        return f"<Pledge {self.id} {self.amount_cents} {self.status}>"

    @property
    def balance_cents(self) -> int:
        if self.status != PledgeStatus.OPEN:
            return 0
        return max(self.amount_cents - self.received_cents - self.written_off_cents, 0)


class PledgeInstalment(db.Model):
    """One due date of the schedule; `reminded_at` is claimed once, when its reminder is
    queued."""

    __tablename__ = "pledge_instalments"
    __table_args__ = (
        UniqueConstraint("pledge_id", "due_on"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index("ix_pledge_instalments_due", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pledge: Mapped[Pledge] = relationship(back_populates="instalments")


class PledgePayment(db.Model):
    """A gift (online or offline) applied to a pledge, wholly or in part. A gift pays one
    pledge; what counts is at most what is left of the gift after refunds."""

    __tablename__ = "pledge_payments"
    __audited__ = True
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    pledge: Mapped[Pledge] = relationship(back_populates="payments")
    donation: Mapped[Donation] = relationship()
