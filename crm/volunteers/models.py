"""Volunteers: applications, profiles, credentials that expire, shifts, sign-ups and hours.

A volunteer is a contact with a profile; their sign-in (a user with the volunteer role) points
at the same contact through `users.contact_id`. Background-check details live on the
credential and are shown to admins only."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    exists,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.contacts.models import Contact
from crm.extensions import db
from crm.modelbase import TimestampMixin, UTCDateTime, enum_column, utcnow


class VolunteerRole(enum.StrEnum):
    PRESENTER = "presenter"  # gives the trainings and presentations
    EVENT_HELPER = "event_helper"  # set-up, welcome desk, materials at events
    OFFICE = "office"  # mailings, data entry, phone calls
    OUTREACH = "outreach"  # stalls, fairs, flyers in the community
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"  # waiting in the coordinators' queue
    INFO_REQUESTED = "info_requested"  # a coordinator asked the applicant for more
    APPROVED = "approved"  # the applicant is a volunteer and was invited to sign in
    DECLINED = "declined"  # turned down, with a reason sent to the applicant

    @property
    def label(self) -> str:
        return {"info_requested": "More information asked"}.get(self.value, self.value.capitalize())


APPLICATION_TRANSITIONS = {
    ApplicationStatus.PENDING: {
        ApplicationStatus.INFO_REQUESTED, ApplicationStatus.APPROVED, ApplicationStatus.DECLINED,
    },
    ApplicationStatus.INFO_REQUESTED: {
        ApplicationStatus.INFO_REQUESTED, ApplicationStatus.APPROVED, ApplicationStatus.DECLINED,
    },
    ApplicationStatus.APPROVED: set(),
    ApplicationStatus.DECLINED: set(),
}  # fmt: skip


class CredentialStatus(enum.StrEnum):
    PENDING = "pending"  # applied for or in progress; does not count yet
    PASSED = "passed"  # completed; counts until its expiry date
    FAILED = "failed"  # did not pass; never counts
    EXPIRED = "expired"  # was passed, its expiry date has come

    @property
    def label(self) -> str:
        return self.value.capitalize()


CREDENTIAL_TRANSITIONS = {
    CredentialStatus.PENDING: {CredentialStatus.PASSED, CredentialStatus.FAILED},
    CredentialStatus.PASSED: {CredentialStatus.EXPIRED, CredentialStatus.FAILED},
    CredentialStatus.FAILED: set(),
    CredentialStatus.EXPIRED: set(),
}


class SignupStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  # holds a place on the shift
    WAITLISTED = "waitlisted"  # waits for a place; promoted in order when one frees
    CANCELLED = "cancelled"  # cancelled by the volunteer or a coordinator
    REMOVED = "removed"  # taken off because a required credential is no longer valid

    @property
    def label(self) -> str:
        return self.value.capitalize()


SIGNUP_TRANSITIONS = {
    SignupStatus.WAITLISTED: {SignupStatus.CONFIRMED, SignupStatus.CANCELLED, SignupStatus.REMOVED},
    SignupStatus.CONFIRMED: {SignupStatus.CANCELLED, SignupStatus.REMOVED},
    SignupStatus.CANCELLED: set(),
    SignupStatus.REMOVED: set(),
}
ACTIVE_SIGNUP = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)


class HoursSource(enum.StrEnum):
    KIOSK = "kiosk"  # checked in and out at the event's tablet
    SELF = "self"  # logged by the volunteer, needs a coordinator's approval


class HoursStatus(enum.StrEnum):
    OPEN = "open"  # checked in, not yet checked out
    PENDING = "pending"  # self-logged, waiting for a coordinator
    APPROVED = "approved"  # counts in the totals
    REJECTED = "rejected"  # does not count

    @property
    def label(self) -> str:
        return {"open": "Checked in"}.get(self.value, self.value.capitalize())


HOURS_TRANSITIONS = {
    HoursStatus.OPEN: {HoursStatus.APPROVED},
    HoursStatus.PENDING: {HoursStatus.APPROVED, HoursStatus.REJECTED},
    HoursStatus.APPROVED: set(),
    HoursStatus.REJECTED: set(),
}


class Volunteer(TimestampMixin, db.Model):
    """An approved volunteer's profile."""

    __tablename__ = "volunteers"
    __audited__ = True
    __audit_exclude__ = {"feed_token_hash"}

    id: Mapped[int] = mapped_column(primary_key=True)
    # No cascade: a contact with a volunteer history (credentials, hours) cannot be deleted.
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), unique=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[str | None] = mapped_column(String(200))
    availability: Mapped[str | None] = mapped_column(Text)
    emergency_name: Mapped[str | None] = mapped_column(String(200))
    emergency_phone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    contact: Mapped[Contact] = relationship()
    credentials: Mapped[list["Credential"]] = relationship(
        back_populates="volunteer", order_by="Credential.id.desc()"
    )

    def __repr__(self) -> str:
        return f"<Volunteer {self.id} contact={self.contact_id}>"

    @property
    def name(self) -> str:
        return self.contact.display_name

    @property
    def email(self) -> str | None:
        return self.contact.email

    @property
    def role_labels(self) -> list[str]:
        known = {r.value: r for r in VolunteerRole}
        return [known[r].label for r in self.roles or () if r in known]


class Application(TimestampMixin, db.Model):
    """What someone sent from the public form, and the coordinators' decision."""

    __tablename__ = "volunteer_applications"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus), default=ApplicationStatus.PENDING
    )
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[str | None] = mapped_column(String(200))
    availability: Mapped[str | None] = mapped_column(Text)
    emergency_name: Mapped[str] = mapped_column(String(200))
    emergency_phone: Mapped[str] = mapped_column(String(40))
    adult_confirmed: Mapped[bool] = mapped_column(Boolean)
    conduct_agreed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message: Mapped[str | None] = mapped_column(Text)  # the decline reason or the question

    contact: Mapped[Contact] = relationship()
    decided_by = relationship("User")

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.status}>"

    @property
    def role_labels(self) -> list[str]:
        known = {r.value: r for r in VolunteerRole}
        return [known[r].label for r in self.roles or () if r in known]


class CredentialType(db.Model):
    """A check or training volunteers hold, with how long it stays valid. `key` marks the
    built-in types the safeguarding rule needs (background check, safeguarding training)."""

    __tablename__ = "credential_types"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("validity_days IS NULL OR validity_days > 0", name="validity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    validity_days: Mapped[int | None] = mapped_column(Integer)  # None: never expires
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)  # details for admins only
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<CredentialType {self.name}>"

    def audit_label(self) -> str:
        return self.name


class Credential(db.Model):
    """One volunteer's check or training. `expires_on` is the first day it no longer counts."""

    __tablename__ = "credentials"
    __audited__ = True
    __audit_exclude__ = {"details", "warned_days"}
    __table_args__ = (Index("ix_credentials_volunteer_type", "volunteer_id", "type_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    type_id: Mapped[int] = mapped_column(ForeignKey("credential_types.id"))
    status: Mapped[CredentialStatus] = mapped_column(enum_column(CredentialStatus))
    completed_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    details: Mapped[str | None] = mapped_column(Text)  # provider, reference, findings: admins
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    warned_days: Mapped[int | None] = mapped_column(Integer)  # the last expiry warning sent
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    volunteer: Mapped[Volunteer] = relationship(back_populates="credentials")
    type: Mapped[CredentialType] = relationship()
    recorded_by = relationship("User")

    def __repr__(self) -> str:
        return f"<Credential {self.id} {self.type_id} {self.status}>"


shift_credential_types = Table(
    "shift_credential_types",
    db.metadata,
    Column("shift_id", ForeignKey("shifts.id", ondelete="CASCADE"), primary_key=True),
    Column("type_id", ForeignKey("credential_types.id", ondelete="CASCADE"), primary_key=True),
)


class Shift(TimestampMixin, db.Model):
    __tablename__ = "shifts"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        Index("ix_shifts_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    role: Mapped[VolunteerRole] = mapped_column(enum_column(VolunteerRole))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer)  # volunteers needed
    youth_facing: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event = relationship("Event")
    coordinator = relationship("User")
    required_types: Mapped[list[CredentialType]] = relationship(
        secondary=shift_credential_types, order_by=CredentialType.name
    )
    signups: Mapped[list["Signup"]] = relationship(back_populates="shift", order_by="Signup.id")

    def __repr__(self) -> str:
        return f"<Shift {self.id} {self.title}>"

    def audit_label(self) -> str:
        return self.title

    @property
    def called_off(self) -> bool:
        """The event it staffs was cancelled."""
        return self.event is not None and self.event.cancelled_at is not None

    @classmethod
    def on(cls):
        """SQL: the shift is not for a cancelled event."""
        from crm.events.models import Event

        return ~exists().where(Event.id == cls.event_id, Event.cancelled_at.is_not(None))


class Signup(db.Model):
    __tablename__ = "shift_signups"
    __audited__ = True
    __table_args__ = (
        Index("ix_shift_signups_shift_status", "shift_id", "status"),
        Index("ix_shift_signups_volunteer", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    status: Mapped[SignupStatus] = mapped_column(enum_column(SignupStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # cancelled or removed
    reason: Mapped[str | None] = mapped_column(Text)  # why it was removed
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shift: Mapped[Shift] = relationship(back_populates="signups")
    volunteer: Mapped[Volunteer] = relationship()

    def __repr__(self) -> str:
        return f"<Signup {self.id} shift={self.shift_id} {self.status}>"


class HoursEntry(TimestampMixin, db.Model):
    """Time given: checked in and out at the kiosk, or logged by the volunteer."""

    __tablename__ = "volunteer_hours"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("minutes IS NULL OR minutes > 0", name="minutes_positive"),
        Index("ix_volunteer_hours_volunteer", "volunteer_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    shift_id: Mapped[int | None] = mapped_column(
        ForeignKey("shifts.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[VolunteerRole] = mapped_column(enum_column(VolunteerRole))
    source: Mapped[HoursSource] = mapped_column(enum_column(HoursSource))
    status: Mapped[HoursStatus] = mapped_column(enum_column(HoursStatus))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes: Mapped[int | None] = mapped_column(Integer)
    auto_closed: Mapped[bool] = mapped_column(Boolean, default=False)  # check-out forgotten
    description: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    volunteer: Mapped[Volunteer] = relationship()
    shift: Mapped[Shift | None] = relationship()

    def __repr__(self) -> str:
        return f"<HoursEntry {self.id} volunteer={self.volunteer_id} {self.status}>"

    @property
    def hours(self) -> float:
        return round((self.minutes or 0) / 60, 2)
