"""Households and person-to-person relationships. The caller commits.

A relationship is stored once (contact -> related, with a kind that reads both ways) and
listed from either side. A household gives its members one address and one salutation."""

import re
from dataclasses import dataclass

from sqlalchemy import case, delete, or_, select
from sqlalchemy.orm import aliased, selectinload

from crm.contacts.models import Contact, Household, Relationship, RelationshipKind
from crm.contacts.normalise import email_key, fold, normalise_phone
from crm.contacts.services import ADDRESS_FIELDS, ContactError, merge_listener
from crm.extensions import db

MAX_ID = 2**31 - 1


# --- finding the other person --------------------------------------------------------------


def find_contact(reference: str, region: str = "US") -> Contact:
    """The one contact a person typed: a number (#123), an email, a phone or a full name.
    Raises ContactError saying what is wrong when there is none, or more than one."""
    text = (reference or "").strip()
    if not text:
        raise ContactError("Say who: a contact number, an email address, a phone or a name.")
    # "#123", or a short bare number (longer ones are phone numbers)
    number = re.fullmatch(r"#(\d{1,10})|(\d{1,6})", text)
    if number and int(number.group(1) or number.group(2)) <= MAX_ID:
        number_text = number.group(1) or number.group(2)
        contact = db.session.get(Contact, int(number_text))
        if contact is None:
            raise ContactError(f"There is no contact number {number_text}.")
        return contact
    matches = _lookup(text, region)
    if not matches:
        raise ContactError(f"No contact matches “{text}”. Check it, or create the contact first.")
    if len(matches) > 1:
        raise ContactError(
            f"More than one contact matches “{text}”: give their email or contact number."
        )
    return matches[0]


def _lookup(text: str, region: str) -> list[Contact]:
    if "@" in text:
        query = select(Contact).where(Contact.email_key == email_key(text))
        return db.session.scalars(query.order_by(Contact.id).limit(2)).all()
    try:
        phone = normalise_phone(text, region)
    except ValueError:
        phone = None
    if phone:
        query = select(Contact).where(Contact.phone == phone)
        return db.session.scalars(query.order_by(Contact.id).limit(2)).all()
    name = fold(text)
    query = select(Contact).where(Contact.search_key.startswith(name, autoescape=True))
    found = db.session.scalars(query.order_by(Contact.id).limit(50))
    return [c for c in found if name in (fold(c.full_name), fold(c.display_name))][:2]


# --- relationships ----------------------------------------------------------------------------


# Closest first: spouses and partners, then family, then the rest.
KIND_ORDER = case(
    {kind.value: n for n, kind in enumerate(RelationshipKind)}, value=Relationship.kind
)


@dataclass(frozen=True)
class Link:
    """One relationship as seen from one of its two people."""

    relationship: Relationship
    other: Contact
    label: str  # "Parent of", "Child of"...


def relate(
    contact: Contact, related: Contact, kind: RelationshipKind, note: str | None
) -> Relationship:
    if contact.id == related.id:
        raise ContactError("A person cannot be linked to themselves.")
    existing = db.session.scalar(
        select(Relationship).where(
            or_(
                (Relationship.contact_id == contact.id) & (Relationship.related_id == related.id),
                (Relationship.contact_id == related.id) & (Relationship.related_id == contact.id),
            ),
            Relationship.kind == kind,
        )
    )
    if existing is not None:
        raise ContactError(f"{contact.full_name} and {related.full_name} are already linked so.")
    link = Relationship(contact=contact, related=related, kind=kind, note=note or None)
    db.session.add(link)
    db.session.flush()
    return link


def unrelate(link: Relationship) -> None:
    db.session.delete(link)
    db.session.flush()


def links_of(contact_id: int) -> list[Link]:
    """Both directions in one query, the other person loaded with it."""
    mine, other = Relationship, aliased(Contact)
    rows = db.session.execute(
        select(mine, other)
        .join(
            other,
            or_(
                (mine.contact_id == contact_id) & (other.id == mine.related_id),
                (mine.related_id == contact_id) & (other.id == mine.contact_id),
            ),
        )  # fmt: skip
        .order_by(KIND_ORDER, other.last_name, other.first_name, mine.id)
    ).all()
    links = []
    for link, person in rows:
        forward, backward = link.kind.labels
        links.append(Link(link, person, forward if link.contact_id == contact_id else backward))
    return links


@merge_listener
def _tidy_relationships(survivor_id: int, other_id: int) -> None:
    """After a merge the two may have been linked to each other (now a link to oneself), or
    both to the same person from opposite sides: keep one of each."""
    db.session.execute(
        delete(Relationship).where(Relationship.contact_id == Relationship.related_id)
    )
    mirror = aliased(Relationship)
    duplicates = (
        select(Relationship.id)
        .join(
            mirror,
            (mirror.contact_id == Relationship.related_id)
            & (mirror.related_id == Relationship.contact_id)
            & (mirror.kind == Relationship.kind)
            & (mirror.id < Relationship.id),
        )
        .where(or_(Relationship.contact_id == survivor_id, Relationship.related_id == survivor_id))
    )
    ids = list(db.session.scalars(duplicates))
    if ids:
        db.session.execute(delete(Relationship).where(Relationship.id.in_(ids)))


# --- households -------------------------------------------------------------------------------


def default_salutation(members: list[Contact]) -> str:
    """ "María and Tomás Núñez" for one surname, "Ann Lee and Ben Ode" otherwise."""
    firsts = [m.preferred_name or m.first_name for m in members]
    surnames = {m.last_name for m in members}
    if len(surnames) == 1 and members:
        return _and(firsts) + " " + members[0].last_name
    return _and([m.display_name for m in members])


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def start_household(contact: Contact) -> Household:
    if contact.household_id is not None:
        raise ContactError(f"{contact.full_name} is already in a household.")
    household = Household(
        name=f"The {contact.last_name} household"[:200],
        salutation=default_salutation([contact])[:200],
        **{c: getattr(contact, c) for c in ADDRESS_FIELDS},
    )
    db.session.add(household)
    contact.household = household
    db.session.flush()
    return household


def update_household(household: Household, data: dict, share_address: bool) -> Household:
    household.name = data["name"]
    household.salutation = data.get("salutation") or None
    for column in ADDRESS_FIELDS:
        setattr(household, column, data.get(column) or None)
    if share_address:
        for member in household.members:
            _take_address(member, household)
    db.session.flush()
    return household


def add_member(household: Household, contact: Contact, take_address: bool) -> None:
    if contact.household_id == household.id:
        raise ContactError(f"{contact.full_name} is already in this household.")
    if contact.household_id is not None:
        raise ContactError(
            f"{contact.full_name} is in another household: take them out of it first."
        )
    contact.household = household
    if take_address:
        _take_address(contact, household)
    db.session.flush()


def remove_member(household: Household, contact: Contact) -> None:
    if contact.household_id != household.id:
        raise ContactError(f"{contact.full_name} is not in this household.")
    contact.household = None
    db.session.flush()


def _take_address(contact: Contact, household: Household) -> None:
    for column in ADDRESS_FIELDS:
        value = getattr(household, column)
        if getattr(contact, column) != value:  # read first: the audit log sees the old value
            setattr(contact, column, value)


def household_with_members(household_id: int) -> Household | None:
    return db.session.scalar(
        select(Household)
        .where(Household.id == household_id)
        .options(selectinload(Household.members))
    )
