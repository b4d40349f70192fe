"""Event types, events, registrations (with the waitlist), headcounts and training requests.

Minors are never recorded by name: a registration belongs to an adult who registers (their
guests are a number), and school audiences are recorded as headcounts by audience."""

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.contacts.models import Contact, OrganisationType
from crm.extensions import db
from crm.modelbase import TimestampMixin, UTCDateTime, enum_column, utcnow


class Audience(enum.StrEnum):
    STUDENTS = "students"  # counted, never named
    PARENTS = "parents"  # parents and caregivers
    EDUCATORS = "educators"  # teachers, counsellors, school staff
    FAITH_LEADERS = "faith_leaders"  # clergy and ministry leaders
    EMPLOYERS = "employers"  # employers and employees
    COMMUNITY = "community"  # community members
    PROFESSIONALS = "professionals"  # health, law enforcement, social services

    @property
    def label(self) -> str:
        return {
            "faith_leaders": "Faith leaders",
            "employers": "Employers and employees",
            "community": "Community members",
        }.get(self.value, self.value.capitalize())


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  # holds a seat (and one for each guest)
    WAITLISTED = "waitlisted"  # waiting for a seat; promoted in order when one frees
    CANCELLED = "cancelled"  # cancelled by the registrant or staff; holds nothing


# Which status may follow which.
REGISTRATION_TRANSITIONS = {
    RegistrationStatus.WAITLISTED: {RegistrationStatus.CONFIRMED, RegistrationStatus.CANCELLED},
    RegistrationStatus.CONFIRMED: {RegistrationStatus.CANCELLED},
    RegistrationStatus.CANCELLED: set(),
}


class TrainingRequestStatus(enum.StrEnum):
    PENDING = "pending"  # waiting in the coordinators' queue
    ACCEPTED = "accepted"  # an event was scheduled from it
    DECLINED = "declined"  # turned down with a message to the requester


class EventType(db.Model):
    __tablename__ = "event_types"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    default_minutes: Mapped[int] = mapped_column(Integer, default=60)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<EventType {self.name}>"


event_presenters = Table(
    "event_presenters",
    db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Event(TimestampMixin, db.Model):
    __tablename__ = "events"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        Index("ix_events_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    type_id: Mapped[int] = mapped_column(ForeignKey("event_types.id"))
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue: Mapped[str | None] = mapped_column(Text)  # a postal address, shown to everyone
    online_url: Mapped[str | None] = mapped_column(String(500))  # shown only to registrants
    capacity: Mapped[int | None] = mapped_column(Integer)  # seats; None: no limit
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    audiences: Mapped[list[str]] = mapped_column(JSON, default=list)
    materials_notes: Mapped[str | None] = mapped_column(Text)
    survey_url: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_note: Mapped[str | None] = mapped_column(Text)  # what registrants were told

    type: Mapped[EventType] = relationship()
    campaign = relationship("Campaign")
    presenters = relationship("User", secondary=event_presenters, order_by="User.name")
    registrations: Mapped[list["Registration"]] = relationship(
        back_populates="event", order_by="Registration.id"
    )
    headcounts: Mapped[list["Headcount"]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title}>"

    def audit_label(self) -> str:
        return self.title

    @property
    def audience_labels(self) -> list[str]:
        known = {a.value: a for a in Audience}
        return [known[a].label for a in self.audiences or () if a in known]


class Registration(db.Model):
    """An adult's place at an event, with a number of guests. Walk-ins added at the door
    are registrations too; one without an email address keeps only the name typed."""

    __tablename__ = "registrations"
    __audited__ = True
    __audit_exclude__ = {"cancel_token_hash"}
    __table_args__ = (
        CheckConstraint("guests >= 0", name="guests_not_negative"),
        CheckConstraint("guests_attended >= 0", name="guests_attended_not_negative"),
        Index("ix_registrations_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # Kept when the contact is deleted (SET NULL), so the event's figures do not change.
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    walk_in_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus))
    guests: Mapped[int] = mapped_column(Integer, default=0)
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    guests_attended: Mapped[int] = mapped_column(Integer, default=0)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="registrations")
    contact: Mapped[Contact | None] = relationship()

    def __repr__(self) -> str:
        return f"<Registration {self.id} event={self.event_id} {self.status}>"

    @property
    def seats(self) -> int:
        return 1 + self.guests

    @property
    def name(self) -> str:
        if self.contact is not None:
            return self.contact.full_name
        return self.walk_in_name or "Removed contact"

    @property
    def email(self) -> str | None:
        return self.contact.email if self.contact is not None else None


class Headcount(db.Model):
    """How many people of one audience attended, without any personal data."""

    __tablename__ = "event_headcounts"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("event_id", "audience"),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    audience: Mapped[Audience] = mapped_column(enum_column(Audience))
    count: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="headcounts")

    def __repr__(self) -> str:
        return f"<Headcount event={self.event_id} {self.audience}={self.count}>"


class TrainingRequest(TimestampMixin, db.Model):
    """A school or organisation asking for a training, from the public form."""

    __tablename__ = "training_requests"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_name: Mapped[str] = mapped_column(String(200))
    organisation_type: Mapped[OrganisationType] = mapped_column(enum_column(OrganisationType))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    audience: Mapped[Audience] = mapped_column(enum_column(Audience))
    estimated_size: Mapped[int] = mapped_column(Integer)
    preferred_1: Mapped[datetime] = mapped_column(UTCDateTime)
    preferred_2: Mapped[datetime | None] = mapped_column(UTCDateTime)
    preferred_3: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[TrainingRequestStatus] = mapped_column(
        enum_column(TrainingRequestStatus), default=TrainingRequestStatus.PENDING
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decline_message: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))

    contact: Mapped[Contact | None] = relationship()
    event: Mapped[Event | None] = relationship()
    decided_by = relationship("User")

    def __repr__(self) -> str:
        return f"<TrainingRequest {self.id} {self.organisation_name} {self.status}>"

    def audit_label(self) -> str:
        return self.organisation_name

    @property
    def preferred_dates(self) -> list[datetime]:
        return [d for d in (self.preferred_1, self.preferred_2, self.preferred_3) if d]
