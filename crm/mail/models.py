import enum
from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db
from crm.modelbase import UTCDateTime, enum_column, utcnow


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for the worker (first try or a retry)
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"  # accepted by the SMTP server
    FAILED = "failed"  # gave up after the configured number of attempts


class OutboundEmail(db.Model):
    __tablename__ = "outbound_emails"
    __table_args__ = (
        Index("ix_outbound_emails_due", "status", "next_attempt_at"),
        Index("ix_outbound_emails_to", "to_address", "created_at"),  # a contact's timeline
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(String(120))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # [{"filename", "content_type", "content"}]: text content as is, anything else base64.
    attachments: Mapped[list[dict] | None] = mapped_column(JSON)
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboundEmail {self.id} {self.status} to={self.to_address}>"
