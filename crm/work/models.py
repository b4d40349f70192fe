"""Tasks: follow-ups staff set themselves or that the CRM sets for them (thank a first-time
donor, call a lapsed monthly donor...). A task is about a contact, a gift, an event or a
training request (by foreign key, named by table so that this package imports no domain),
is assigned to someone or waits for anyone of a team, and may have a due date."""

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.auth.roles import Role
from crm.extensions import db
from crm.modelbase import TimestampMixin, UTCDateTime, enum_column


class TaskStatus(enum.StrEnum):
    OPEN = "open"  # to do
    DONE = "done"  # done; kept for the record
    CANCELLED = "cancelled"  # no longer needed


class Task(TimestampMixin, db.Model):
    __tablename__ = "tasks"
    __audited__ = True
    __table_args__ = (
        Index("ix_tasks_assignee_open", "assignee_id", "status", "due_on"),
        Index("ix_tasks_team_open", "team", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus), default=TaskStatus.OPEN)
    # Who does it: a person, or anyone in the team (the role) when nobody is assigned.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team: Mapped[Role] = mapped_column(enum_column(Role))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    donation_id: Mapped[int | None] = mapped_column(
        ForeignKey("donations.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    training_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_requests.id", ondelete="CASCADE"), index=True
    )
    # Set on tasks the CRM creates, so that it never creates the same one twice.
    auto_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    assignee = relationship("User", foreign_keys=[assignee_id])
    done_by = relationship("User", foreign_keys=[done_by_id])
    contact = relationship("Contact")
    donation = relationship("Donation")
    event = relationship("Event")
    training_request = relationship("TrainingRequest")

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.status}>"

    def audit_label(self) -> str:
        return self.title
