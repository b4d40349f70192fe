"""People, organisations, tags, notes, duplicates and merges. The caller commits."""

from collections.abc import Callable

from sqlalchemy import (
    PrimaryKeyConstraint,
    UniqueConstraint,
    and_,
    delete,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError

from crm.audit.services import record_event
from crm.contacts.models import Affiliation, Contact, Note, Organisation, Tag
from crm.contacts.normalise import email_key, fold, postcode_key
from crm.contacts.search import ContactFilter, contact_query  # noqa: F401  (their old home)
from crm.contacts.search import escape_like as _escape
from crm.extensions import db

CONTACT_FIELDS = (
    "first_name", "last_name", "preferred_name", "birth_date", "email", "phone",
    "address_line1", "address_line2", "city", "region", "postcode", "country",
    "email_opt_in", "do_not_contact",
)  # fmt: skip
ORGANISATION_FIELDS = (
    "name", "type", "email", "phone", "website",
    "address_line1", "address_line2", "city", "region", "postcode", "country", "notes",
)  # fmt: skip


class ContactError(ValueError):
    """A contact operation that cannot be done; the message is for the user."""


def _assign(obj, data: dict, fields: tuple[str, ...]) -> None:
    for field in fields:
        if field in data:
            value = data[field]
            value = value.strip() or None if isinstance(value, str) else value
            # Reading first loads an expired object, so the audit log sees the old value.
            if getattr(obj, field) != value:
                setattr(obj, field, value)


def create_contact(data: dict, tags: list[str] | None = None) -> Contact:
    contact = Contact()
    _assign(contact, data, CONTACT_FIELDS)
    contact.refresh_search_key()
    if tags is not None:
        contact.tags = get_or_create_tags(tags)
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(contact: Contact, data: dict, tags: list[str] | None = None) -> Contact:
    _assign(contact, data, CONTACT_FIELDS)
    contact.refresh_search_key()
    if tags is not None:
        contact.tags = get_or_create_tags(tags)
    db.session.flush()
    return contact


def delete_contact(contact: Contact) -> None:
    """Delete a contact with their notes and links. Records that must be kept (gifts,
    for the accounts) make the database refuse, and the contact stays."""
    try:
        with db.session.begin_nested():
            db.session.delete(contact)
    except IntegrityError as exc:
        raise ContactError(
            "This contact has gifts or other records that must be kept, so they cannot be "
            "deleted. Merge them into another contact instead."
        ) from exc


def get_or_create_tags(names: list[str]) -> list[Tag]:
    wanted = {n.strip()[:60]: None for n in names if n and n.strip()}
    if not wanted:
        return []
    existing = {t.name.lower(): t for t in db.session.scalars(select(Tag))}
    tags = []
    for name in wanted:
        tag = existing.get(name.lower())
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
            existing[name.lower()] = tag
        if tag not in tags:
            tags.append(tag)
    return tags


def find_duplicates(
    *,
    email: str | None = None,
    phone: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    postcode: str | None = None,
    exclude_id: int | None = None,
) -> list[Contact]:
    """Contacts that look like the same person: same email, same phone, or same name
    at the same postcode (compared in their normal forms)."""
    conditions = []
    if email:
        conditions.append(Contact.email_key == email_key(email))
    if phone:
        conditions.append(Contact.phone == phone)
    pc = postcode_key(postcode)
    if pc and first_name and last_name:
        name = fold(f"{first_name} {last_name}")
        candidates = select(Contact.id).where(Contact.postcode_key == pc)
        conditions.append(
            and_(Contact.id.in_(candidates), Contact.search_key.like(f"{_escape(name)}%", "\\"))
        )
    if not conditions:
        return []
    query = select(Contact).where(or_(*conditions)).order_by(Contact.id).limit(10)
    if exclude_id is not None:
        query = query.where(Contact.id != exclude_id)
    matches = db.session.scalars(query).all()
    if pc and first_name and last_name:
        # the LIKE above is a prefilter; compare whole names exactly here
        name = fold(f"{first_name} {last_name}")
        matches = [
            c for c in matches
            if (email and c.email_key == email_key(email))
            or (phone and c.phone == phone)
            or (c.postcode_key == pc and fold(c.full_name) == name)
        ]  # fmt: skip
    return matches


# --- organisations and notes --------------------------------------------------------------


def create_organisation(data: dict) -> Organisation:
    organisation = Organisation()
    _assign(organisation, data, ORGANISATION_FIELDS)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def update_organisation(organisation: Organisation, data: dict) -> Organisation:
    _assign(organisation, data, ORGANISATION_FIELDS)
    db.session.flush()
    return organisation


def people_counts(organisation_ids: list[int]) -> dict[int, int]:
    """How many people each organisation has, in one query."""
    if not organisation_ids:
        return {}
    return dict(
        db.session.execute(
            select(Affiliation.organisation_id, func.count())
            .where(Affiliation.organisation_id.in_(organisation_ids))
            .group_by(Affiliation.organisation_id)
        ).all()
    )


def find_organisation_by_name(name: str) -> Organisation | None:
    return db.session.scalars(
        select(Organisation).where(Organisation.name_key == fold(name)).order_by(Organisation.id)
    ).first()


def link_organisation(
    contact: Contact, organisation: Organisation, role: str | None, kind=None
) -> Affiliation:
    for affiliation in contact.affiliations:
        if affiliation.organisation_id == organisation.id:
            affiliation.role = role or None
            affiliation.kind = kind or affiliation.kind
            db.session.flush()
            return affiliation
    affiliation = Affiliation(
        contact=contact, organisation=organisation, role=role or None, kind=kind or None
    )
    db.session.add(affiliation)
    db.session.flush()
    return affiliation


def unlink_organisation(affiliation: Affiliation) -> None:
    db.session.delete(affiliation)
    db.session.flush()


def add_note(contact: Contact, author, body: str) -> Note:
    note = Note(contact=contact, author=author, body=body.strip())
    db.session.add(note)
    db.session.flush()
    return note


# --- merging ---------------------------------------------------------------------------------

MERGE_FIELDS = ("first_name", "last_name", "preferred_name", "email", "phone", "address")
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "region", "postcode", "country")


MergeListener = Callable[[int, int], None]
_merge_listeners: list[MergeListener] = []


def merge_listener(func: MergeListener) -> MergeListener:
    """Register `func(survivor_id, other_id)`, called once the other contact's records have
    been moved by bulk update (which flush events do not see), before it is deleted."""
    if func not in _merge_listeners:
        _merge_listeners.append(func)
    return func


def merge_contacts(survivor: Contact, other: Contact, take_from_other: set[str], author) -> Contact:
    """Fold `other` into `survivor`: chosen fields are copied, every record that points at
    `other` (in any table, including features added later) is moved, and `other` is deleted.
    Values that are not kept are written into a note so nothing is lost."""
    if survivor.id == other.id:
        raise ContactError("A contact cannot be merged with itself.")
    unknown = take_from_other - set(MERGE_FIELDS)
    if unknown:
        raise ContactError(f"Unknown fields: {', '.join(sorted(unknown))}")
    discarded = _apply_merge_choices(survivor, other, take_from_other)
    discarded |= _merge_shared_affiliations(survivor, other)
    discarded |= _merge_payment_customer(survivor, other)
    if survivor.birth_date is None:  # a date of birth is kept if either has one
        survivor.birth_date = other.birth_date
    elif other.birth_date and other.birth_date != survivor.birth_date:
        discarded["birth_date"] = other.birth_date.isoformat()
    if survivor.household_id is None:  # a household is kept if either is in one
        survivor.household_id = other.household_id
    survivor.do_not_contact = survivor.do_not_contact or other.do_not_contact
    survivor.email_opt_in = survivor.email_opt_in and other.email_opt_in
    survivor.tags = list(dict.fromkeys([*survivor.tags, *other.tags]))
    survivor.refresh_search_key()
    db.session.flush()
    other_id, other_name = other.id, other.full_name
    _reassign_references(other_id, survivor.id)
    for listener in _merge_listeners:
        listener(survivor.id, other_id)
    db.session.expire_all()
    db.session.delete(db.session.get(Contact, other_id))
    if discarded:
        lines = [f"{field.replace('_', ' ')}: {value}" for field, value in discarded.items()]
        add_note(
            survivor,
            author,
            f"Merged from contact #{other_id} ({other_name}). Not kept:\n" + "\n".join(lines),
        )
    record_event(
        "merge",
        "Contact",
        survivor.id,
        {"merged_contact_id": other_id},
        summary=f"Merged {other_name} (#{other_id}) into this contact",
    )
    db.session.flush()
    return survivor


def _merge_payment_customer(survivor: Contact, other: Contact) -> dict:
    """Keep the payment processor's customer id so future gifts still find the donor."""
    if not other.stripe_customer_id or other.stripe_customer_id == survivor.stripe_customer_id:
        return {}
    if survivor.stripe_customer_id:
        return {"stripe_customer_id": other.stripe_customer_id}
    customer_id, other.stripe_customer_id = other.stripe_customer_id, None
    db.session.flush()  # the id is unique: release it before the survivor takes it
    survivor.stripe_customer_id = customer_id
    return {}


def _apply_merge_choices(survivor: Contact, other: Contact, take: set[str]) -> dict:
    discarded = {}
    for field in MERGE_FIELDS:
        names = ADDRESS_FIELDS if field == "address" else (field,)
        keep_other = field in take
        for name in names:
            kept = getattr(other if keep_other else survivor, name)
            lost = getattr(survivor if keep_other else other, name)
            if lost and lost != kept:
                discarded[name] = lost
            setattr(survivor, name, kept)
    return discarded


def _merge_shared_affiliations(survivor: Contact, other: Contact) -> dict:
    """Where both are linked to the same organisation only the survivor's link stays
    (one link per pair); it takes the other's role if it has none."""
    discarded = {}
    kept = {a.organisation_id: a for a in survivor.affiliations}
    for affiliation in other.affiliations:
        mine = kept.get(affiliation.organisation_id)
        if mine is None or not affiliation.role or affiliation.role == mine.role:
            continue
        if mine.role:
            discarded[f"role at {affiliation.organisation.name}"] = affiliation.role
        else:
            mine.role = affiliation.role
    return discarded


def _reassign_references(from_id: int, to_id: int) -> None:
    """Point every foreign key to contacts.id at the survivor. Where a unique constraint or
    index would be broken (the same tag or organisation on both), the loser's row is dropped."""
    contacts = Contact.__table__
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column is not contacts.c.id:
                continue
            column = fk.parent
            for unique in _unique_column_sets(table, column):
                rest = [c for c in unique if c is not column]
                if rest:
                    key = rest[0] if len(rest) == 1 else tuple_(*rest)
                    clash = key.in_(select(*rest).where(column == to_id))
                else:  # one row per contact: the survivor's stays
                    clash = select(column).where(column == to_id).exists()
                _refuse_losing_history(table, column, from_id, clash)
                db.session.execute(delete(table).where(column == from_id, clash))
            db.session.execute(update(table).where(column == from_id).values({column.name: to_id}))


def _refuse_losing_history(table, column, from_id: int, clash) -> None:
    """Dropping a clashing row is fine for a link (a tag, an organisation), but not for a row
    that other records hang on (a volunteer profile with its credentials and hours)."""
    if not _referenced_by_other_tables(table):
        return
    if db.session.scalar(select(func.count()).select_from(table).where(column == from_id, clash)):
        label = table.name.replace("_", " ")
        raise ContactError(
            f"Both contacts have {label} records of their own, and merging would lose one "
            "with its history. Keep both contacts, or ask an administrator to combine those "
            "records first."
        )


def _referenced_by_other_tables(table) -> bool:
    return any(
        fk.column.table is table
        for other in db.metadata.sorted_tables
        if other is not table
        for fk in other.foreign_keys
    )


def _unique_column_sets(table, column) -> list[list]:
    candidates = [
        list(c.columns)
        for c in table.constraints
        if isinstance(c, PrimaryKeyConstraint | UniqueConstraint)
    ]
    candidates += [list(i.columns) for i in table.indexes if i.unique]
    return [columns for columns in candidates if column in columns]
