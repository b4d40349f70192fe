"""Import batches and what they changed, external ids, the consent log, the duplicate review
queue and the record of erasures."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.contacts.models import Contact
from crm.extensions import db
from crm.modelbase import UTCDateTime, enum_column, utcnow


class ImportKind(enum.StrEnum):
    CONTACTS = "contacts"  # people: matched by email, phone, then name and postcode
    GIFTS = "gifts"  # donations linked to contacts, campaigns and funds

    @property
    def label(self) -> str:
        return "Contacts" if self is ImportKind.CONTACTS else "Gifts"


class ImportStatus(enum.StrEnum):
    UPLOADED = "uploaded"  # the file is stored; columns are being mapped
    CHECKING = "checking"  # the dry run is going through the file
    CHECKED = "checked"  # the dry run finished; its counts are shown
    RUNNING = "running"  # the import is writing
    DONE = "done"  # imported; can be undone
    FAILED = "failed"  # stopped (a problem with the file, or its worker died); nothing kept
    UNDOING = "undoing"  # the undo is running
    UNDONE = "undone"  # everything it wrote was taken back
    INTERRUPTED = "interrupted"  # its worker died half-way and what it wrote is kept: undo it


class ImportBatch(db.Model):
    """One uploaded file and everything its import did."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(enum_column(ImportKind))
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus), default=ImportStatus.UPLOADED
    )
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str | None] = mapped_column(String(64))  # under instance/imports/
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    encoding: Mapped[str] = mapped_column(String(20))
    delimiter: Mapped[str] = mapped_column(String(1))
    headers: Mapped[list[str]] = mapped_column(JSON, default=list)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)  # column index (str) -> field
    options: Mapped[dict] = mapped_column(JSON, default=dict)  # date order, id system...
    counts: Mapped[dict] = mapped_column(JSON, default=dict)  # new, matched, duplicate...
    dry_run_counts: Mapped[dict | None] = mapped_column(JSON)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by = relationship("User")

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} {self.kind} {self.status}>"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status in (ImportStatus.DONE, ImportStatus.CHECKED) else 0
        return min(100, round(100 * self.rows_done / self.rows_total))

    @property
    def busy(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.RUNNING, ImportStatus.UNDOING)


class ImportChange(db.Model):
    """What a batch wrote, so that it can be taken back: the ids it created (a chunk of rows
    per entry) or one record's values before the batch updated it."""

    __tablename__ = "import_changes"
    __table_args__ = (Index("ix_import_changes_batch", "batch_id", "entity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(40))  # "contact", "donation", ...
    action: Mapped[str] = mapped_column(String(10))  # "created" or "updated"
    entity_ids: Mapped[list[int]] = mapped_column(JSON)
    before: Mapped[dict | None] = mapped_column(JSON)  # updated fields' previous values
    after: Mapped[dict | None] = mapped_column(JSON)  # and what the batch wrote


class ImportConflict(db.Model):
    """A value in the file that differs from the one the matched contact already has: the
    import kept the contact's and lists the file's here for staff to look at."""

    __tablename__ = "import_conflicts"
    __table_args__ = (Index("ix_import_conflicts_batch", "batch_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    # The person goes with their conflicts: erasing them leaves none of the file's values.
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(40))
    kept: Mapped[str] = mapped_column(Text)  # the contact's value, left as it was
    in_file: Mapped[str] = mapped_column(Text)

    contact: Mapped[Contact] = relationship()


class ImportRejection(db.Model):
    """A row the import left out, with the reason, for the downloadable CSV."""

    __tablename__ = "import_rejections"
    __table_args__ = (Index("ix_import_rejections_batch", "batch_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    values: Mapped[list[str]] = mapped_column(JSON)


class ExternalId(db.Model):
    """A contact's id in another system (a donor database's constituent id), so gift files
    from that system find the person."""

    __tablename__ = "contact_external_ids"
    __table_args__ = (UniqueConstraint("system", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    system: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(String(120))


class ImportedGift(db.Model):
    """The other system's transaction id of an imported gift: a re-import adds nothing."""

    __tablename__ = "imported_gifts"
    __table_args__ = (UniqueConstraint("system", "transaction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(
        ForeignKey("donations.id", ondelete="CASCADE"), unique=True
    )
    system: Mapped[str] = mapped_column(String(60))
    transaction_id: Mapped[str] = mapped_column(String(120))


class ImportedRefund(db.Model):
    """The other system's id of an imported refund row, so that a re-import adds nothing."""

    __tablename__ = "imported_refunds"
    __table_args__ = (UniqueConstraint("system", "transaction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(
        ForeignKey("refunds.id", ondelete="CASCADE"), unique=True
    )
    system: Mapped[str] = mapped_column(String(60))
    transaction_id: Mapped[str] = mapped_column(String(120))


class UnmatchedRefund(db.Model):
    """Money a gift file says was given back, for which the import found no gift to refund:
    the row names no gift (or one not here), and the donor has no earlier gift from that
    system with as much left. It counts as refunded from the import on, and waits in the
    list of refunds to link until staff link it to its gift, which records it as a refund of
    that gift (`refund_id`)."""

    __tablename__ = "unmatched_refunds"
    __table_args__ = (UniqueConstraint("system", "transaction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    # The donor the row named, when the CRM has them; otherwise `donor` says what the file
    # said of them.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    donor: Mapped[str | None] = mapped_column(Text)
    system: Mapped[str] = mapped_column(String(60))
    transaction_id: Mapped[str] = mapped_column(String(120))  # the row's id, or its key
    original_transaction_id: Mapped[str | None] = mapped_column(String(120))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    line: Mapped[int] = mapped_column(Integer)
    refund_id: Mapped[int | None] = mapped_column(
        ForeignKey("refunds.id", ondelete="SET NULL"), unique=True
    )
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    contact: Mapped[Contact | None] = relationship()
    batch: Mapped[ImportBatch] = relationship()

    def __repr__(self) -> str:
        return f"<UnmatchedRefund {self.id} {self.amount_cents}>"


class ConsentMethod(enum.StrEnum):
    WEB_FORM = "web_form"  # ticked a box on one of our forms
    PAPER = "paper"  # a signed paper form
    VERBAL = "verbal"  # said so in person or on the phone; staff recorded it
    EMAIL = "email"  # asked by email
    IMPORT = "import"  # came with an imported file from another system
    PREFERENCE_PAGE = "preference_page"  # chosen by the person on their email preference page
    UNSUBSCRIBE_LINK = "unsubscribe_link"  # an unsubscribe link or request in one of our emails

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ConsentRecord(db.Model):
    """One consent given or withdrawn: what, when and how."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_contact", "contact_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(60))  # "email_updates", "photos", ...
    granted: Mapped[bool] = mapped_column(Boolean)
    method: Mapped[ConsentMethod] = mapped_column(enum_column(ConsentMethod))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(500))

    contact: Mapped[Contact] = relationship()
    recorded_by = relationship("User")


class DuplicateStatus(enum.StrEnum):
    OPEN = "open"  # waiting for someone to merge them or say they differ
    DISMISSED = "dismissed"  # two different people; not suggested again


class DuplicatePair(db.Model):
    """Two contacts that look like one person, waiting for review. A merge deletes one of
    them and with it the pair."""

    __tablename__ = "duplicate_pairs"
    __table_args__ = (UniqueConstraint("first_id", "second_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    second_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(40))  # "email", "phone", "name and postcode"
    status: Mapped[DuplicateStatus] = mapped_column(
        enum_column(DuplicateStatus), default=DuplicateStatus.OPEN
    )
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    first: Mapped[Contact] = relationship(foreign_keys=[first_id])
    second: Mapped[Contact] = relationship(foreign_keys=[second_id])


class Erasure(db.Model):
    """That a contact was erased, when and by whom: no personal data, not even the name."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(Integer)  # no foreign key: the row may be gone
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(60))  # "request", "retention: <rule>"
    kept: Mapped[str | None] = mapped_column(Text)  # what was kept anonymised, e.g. "3 gifts"
