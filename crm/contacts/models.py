import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from crm.contacts.normalise import email_key, fold, postcode_key
from crm.extensions import db
from crm.modelbase import TimestampMixin, UTCDateTime, enum_column, postgresql_index, utcnow


class OrganisationType(enum.StrEnum):
    SCHOOL = "school"  # schools, school districts, colleges
    FAITH_GROUP = "faith_group"  # churches, mosques, synagogues, temples
    BUSINESS = "business"  # employers, sponsors
    AGENCY = "agency"  # government and law-enforcement agencies
    PARTNER = "partner"  # partner nonprofits and coalitions
    COMMUNITY = "community"  # clubs, associations, community groups
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class AddressMixin:
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))

    @property
    def address_lines(self) -> list[str]:
        locality = " ".join(p for p in (self.city, self.region, self.postcode) if p)
        return [p for p in (self.address_line1, self.address_line2, locality, self.country) if p]


contact_tags = Table(
    "contact_tags",
    db.metadata,
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)

    def __repr__(self) -> str:
        return f"<Tag {self.name}>"


class Contact(AddressMixin, TimestampMixin, db.Model):
    """A person: donor, volunteer, attendee, or someone at a partner organisation."""

    __tablename__ = "contacts"
    __audited__ = True
    __audit_exclude__ = {"search_key", "email_key", "postcode_key"}
    __table_args__ = (
        Index("ix_contacts_name", "last_name", "first_name"),
        # Search (crm/contacts/search.py): words anywhere in names and emails, digits anywhere
        # in phone numbers, and emails by their beginning.
        postgresql_index("ix_contacts_search_trgm", "search_key", postgresql_using="gin",
                         postgresql_ops={"search_key": "gin_trgm_ops"}),
        postgresql_index("ix_contacts_phone_trgm", "phone", postgresql_using="gin",
                         postgresql_ops={"phone": "gin_trgm_ops"}),
        postgresql_index("ix_contacts_email_key_prefix", "email_key",
                         postgresql_ops={"email_key": "varchar_pattern_ops"}),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    birth_date: Mapped[date | None]
    email_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Derived keys for search and duplicate detection, kept current by the validators below.
    email_key: Mapped[str | None] = mapped_column(String(254), index=True)
    postcode_key: Mapped[str | None] = mapped_column(String(20), index=True)
    search_key: Mapped[str] = mapped_column(String(600), default="")

    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )

    tags: Mapped[list[Tag]] = relationship(secondary=contact_tags, order_by=Tag.name)
    household: Mapped["Household | None"] = relationship(back_populates="members")
    affiliations: Mapped[list["Affiliation"]] = relationship(
        back_populates="contact", cascade="all, delete-orphan"
    )
    notes: Mapped[list["Note"]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="Note.created_at.desc()"
    )

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.full_name}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        if self.preferred_name:
            return f"{self.preferred_name} {self.last_name}".strip()
        return self.full_name

    def audit_label(self) -> str:
        return self.full_name

    @validates("email")
    def _set_email_key(self, key, value):
        # the keys are cut to their column's size: folding can lengthen text ("ß" -> "ss")
        self.email_key = (email_key(value) or "")[:254] or None
        return value

    @validates("postcode")
    def _set_postcode_key(self, key, value):
        self.postcode_key = (postcode_key(value) or "")[:20] or None
        return value

    def refresh_search_key(self) -> None:
        parts = [self.first_name, self.last_name, self.preferred_name, self.email]
        self.search_key = fold(" ".join(p for p in parts if p))[:600]


class Organisation(AddressMixin, TimestampMixin, db.Model):
    __tablename__ = "organisations"
    __audited__ = True
    __audit_exclude__ = {"name_key"}
    __table_args__ = (
        postgresql_index("ix_organisations_name_trgm", "name_key", postgresql_using="gin",
                         postgresql_ops={"name_key": "gin_trgm_ops"}),
        postgresql_index("ix_organisations_name_key_prefix", "name_key",
                         postgresql_ops={"name_key": "varchar_pattern_ops"}),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    type: Mapped[OrganisationType] = mapped_column(enum_column(OrganisationType))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    website: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)

    affiliations: Mapped[list["Affiliation"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"

    def audit_label(self) -> str:
        return self.name

    @validates("name")
    def _set_name_key(self, key, value):
        self.name_key = fold(value)[:200]  # folding can lengthen text ("ß" -> "ss")
        return value


class AffiliationKind(enum.StrEnum):
    EMPLOYEE = "employee"  # works there: the employer whose gift-matching programme applies
    BOARD_MEMBER = "board_member"  # sits on its board
    VOLUNTEER = "volunteer"  # volunteers there
    MEMBER = "member"  # a member of a congregation, club or association
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "employee": "Employee of",
            "board_member": "Board member of",
            "volunteer": "Volunteer at",
            "member": "Member of",
        }.get(self.value, "Linked to")


class Affiliation(db.Model):
    """A person's link to an organisation: what they are there (employee, board member...)
    and their role in words."""

    __tablename__ = "affiliations"
    __audited__ = True
    __table_args__ = (UniqueConstraint("contact_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[AffiliationKind | None] = mapped_column(enum_column(AffiliationKind))

    contact: Mapped[Contact] = relationship(back_populates="affiliations")
    organisation: Mapped[Organisation] = relationship(back_populates="affiliations")

    def __repr__(self) -> str:
        return f"<Affiliation contact={self.contact_id} org={self.organisation_id}>"


class Note(db.Model):
    __tablename__ = "notes"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact: Mapped[Contact] = relationship(back_populates="notes")
    author = relationship("User")

    def __repr__(self) -> str:
        return f"<Note {self.id} contact={self.contact_id}>"


class Household(AddressMixin, TimestampMixin, db.Model):
    """People who live together: one postal address and one salutation for letters. Its
    giving is its members' gifts, each counted once."""

    __tablename__ = "households"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # "The Núñez household"
    salutation: Mapped[str | None] = mapped_column(String(200))  # "María and Tomás Núñez"

    members: Mapped[list[Contact]] = relationship(
        back_populates="household", order_by=(Contact.last_name, Contact.first_name, Contact.id)
    )

    def __repr__(self) -> str:
        return f"<Household {self.id} {self.name}>"

    def audit_label(self) -> str:
        return self.name


class RelationshipKind(enum.StrEnum):
    """How `contact` stands to `related`; each kind reads both ways (see `labels`)."""

    SPOUSE = "spouse"
    PARTNER = "partner"
    PARENT = "parent"  # contact is a parent of related
    GRANDPARENT = "grandparent"  # contact is a grandparent of related
    SIBLING = "sibling"
    FRIEND = "friend"
    COLLEAGUE = "colleague"
    INTRODUCED = "introduced"  # contact introduced related to us (the friend who asked)
    OTHER = "other"

    @property
    def labels(self) -> tuple[str, str]:
        """(what contact is to related, what related is to contact)."""
        return {
            "spouse": ("Spouse of", "Spouse of"),
            "partner": ("Partner of", "Partner of"),
            "parent": ("Parent of", "Child of"),
            "grandparent": ("Grandparent of", "Grandchild of"),
            "sibling": ("Sibling of", "Sibling of"),
            "friend": ("Friend of", "Friend of"),
            "colleague": ("Colleague of", "Colleague of"),
            "introduced": ("Introduced", "Introduced by"),
            "other": ("Related to", "Related to"),
        }[self.value]


class Relationship(TimestampMixin, db.Model):
    """A link between two people, stored once and read from either side."""

    __tablename__ = "contact_relationships"
    __audited__ = True
    __table_args__ = (UniqueConstraint("contact_id", "related_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    related_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RelationshipKind] = mapped_column(enum_column(RelationshipKind))
    note: Mapped[str | None] = mapped_column(String(200))

    contact: Mapped[Contact] = relationship(foreign_keys=[contact_id])
    related: Mapped[Contact] = relationship(foreign_keys=[related_id])

    def __repr__(self) -> str:
        return f"<Relationship {self.contact_id} {self.kind} {self.related_id}>"
