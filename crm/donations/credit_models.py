"""What a gift says beyond its money: who else it credits (soft credits), the employer's match
that answers it, and how it was acknowledged. None of these changes a money figure: a soft
credit is recognition, not money, and a match is a gift of its own."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.contacts.models import Contact, Organisation
from crm.donations.models import Donation
from crm.extensions import db
from crm.modelbase import UTCDateTime, enum_column, utcnow


class SoftCreditRole(enum.StrEnum):
    HOUSEHOLD = "household"  # a spouse or partner who gives with the donor
    SOLICITOR = "solicitor"  # the friend, board member or volunteer who asked
    MATCHED = "matched"  # the employee whose gift an employer's match answers
    TRIBUTE = "tribute"  # the person honoured or remembered
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "household": "Household member",
            "solicitor": "Asked for the gift",
            "matched": "Employer matched their gift",
            "tribute": "In honour or memory",
        }.get(self.value, "Other")


class SoftCredit(db.Model):
    """Recognition of a gift for someone who did not pay it. Never counted as money raised."""

    __tablename__ = "soft_credits"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("donation_id", "contact_id"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index("ix_soft_credits_contact", "contact_id", "donation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    role: Mapped[SoftCreditRole] = mapped_column(enum_column(SoftCreditRole))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    donation: Mapped[Donation] = relationship()
    contact: Mapped[Contact] = relationship()

    def __repr__(self) -> str:
        return f"<SoftCredit gift={self.donation_id} contact={self.contact_id}>"


class MatchingGift(db.Model):
    """An employer's match: `donation` is the organisation's own gift (recorded on the
    employee's contact, who it came through), answering the employee's `original` gift."""

    __tablename__ = "matching_gifts"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(
        ForeignKey("donations.id", ondelete="CASCADE"), unique=True
    )
    original_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)

    donation: Mapped[Donation] = relationship(foreign_keys=[donation_id])
    original: Mapped[Donation] = relationship(foreign_keys=[original_id])
    organisation: Mapped[Organisation] = relationship()

    def __repr__(self) -> str:
        return f"<MatchingGift {self.donation_id} matches {self.original_id}>"


class AckStatus(enum.StrEnum):
    PENDING = "pending"  # waits for a thank-you
    THANKED = "thanked"  # thanked by letter, call, email or in person
    NOT_NEEDED = "not_needed"  # recorded long after it was received (history, imports)


class AckMethod(enum.StrEnum):
    LETTER = "letter"
    CALL = "call"
    EMAIL = "email"
    IN_PERSON = "in_person"

    @property
    def label(self) -> str:
        return "In person" if self is AckMethod.IN_PERSON else self.value.capitalize()


class GiftAcknowledgement(db.Model):
    """How a gift was thanked (the receipt is the gift's own). Every gift recorded from now on
    gets one, waiting; `received_at` is the gift's, copied so the list of gifts to thank
    reads in order from an index."""

    __tablename__ = "gift_acknowledgements"
    __audited__ = True
    __table_args__ = (Index("ix_gift_acknowledgements_status", "status", "received_at"),)

    donation_id: Mapped[int] = mapped_column(
        ForeignKey("donations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    status: Mapped[AckStatus] = mapped_column(enum_column(AckStatus), default=AckStatus.PENDING)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[AckMethod | None] = mapped_column(enum_column(AckMethod))
    thanked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    thanked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(500))

    donation: Mapped[Donation] = relationship()
    thanked_by = relationship("User")

    def __repr__(self) -> str:
        return f"<GiftAcknowledgement {self.donation_id} {self.status}>"

    @property
    def id(self) -> int:
        """The gift's id: the audit log names a record by its id."""
        return self.donation_id
