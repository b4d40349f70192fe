"""Finding contacts: the list's filters and its search by name, email, phone or organisation,
built so that each kind of search has an index to use at a million contacts.

- An email address, or its beginning ("ann@exa"), is looked up on the normalised
  `email_key` (exact or prefix: a B-tree range; on PostgreSQL a `varchar_pattern_ops`
  index, since its collation may not sort like bytes).
- A whole phone number, however it is written, is looked up as E.164 (`phone`, B-tree); a
  part of one ("0143") as digits anywhere in a phone number, a name or an email.
- Words match anywhere in a name or email (`search_key`, folded: case- and accent-free) or in
  an organisation's name. On PostgreSQL trigram indexes (pg_trgm) serve the "anywhere"; the
  organisations' members are fetched first, in one statement, so that each word is one
  indexable condition on the contacts table (an OR with a subquery makes PostgreSQL walk the
  name index and test every row). SQLite scans, which is fine at its sizes.
"""

import re
from dataclasses import dataclass

import phonenumbers
from flask import current_app
from sqlalchemy import ColumnElement, Select, or_, select

from crm.contacts.models import Affiliation, Contact, Organisation, Tag
from crm.contacts.normalise import fold, phone_digits
from crm.extensions import db


@dataclass
class ContactFilter:
    q: str = ""
    tag_id: int | None = None
    organisation_id: int | None = None
    email_opt_in: bool | None = None
    do_not_contact: bool | None = None
    sort: str = "name"
    organisation_name: str = ""  # organisations whose name begins with this


SORTS = {
    "name": (Contact.last_name, Contact.first_name, Contact.id),
    "-name": (Contact.last_name.desc(), Contact.first_name.desc(), Contact.id.desc()),
    "newest": (Contact.created_at.desc(), Contact.id.desc()),
    "updated": (Contact.updated_at.desc(), Contact.id.desc()),
}

MAX_WORDS = 8
# Past this many people in the organisations a search names, they are matched by a subquery
# rather than listed (slower on PostgreSQL, but still right).
MAX_LISTED_MEMBERS = 2_000
# A search made only of phone characters is one number, however it is spaced.
_PHONE_SEARCH = re.compile(r"^\+?[\d\s().-]+$")


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contact_query(f: ContactFilter) -> Select:
    """Every word of the search must match a name, an email, a phone or an organisation."""
    query = select(Contact).where(*search_conditions(f.q))
    if f.tag_id:
        query = query.where(Contact.tags.any(Tag.id == f.tag_id))
    if f.organisation_id:
        query = query.where(
            Contact.id.in_(
                select(Affiliation.contact_id).where(
                    Affiliation.organisation_id == f.organisation_id
                )
            )
        )
    if f.organisation_name and fold(f.organisation_name):
        named = prefix_match(Organisation.name_key, fold(f.organisation_name)[:200])
        members = select(Affiliation.contact_id).join(Organisation).where(named)
        query = query.where(Contact.id.in_(members))
    if f.email_opt_in is not None:
        query = query.where(Contact.email_opt_in.is_(f.email_opt_in))
    if f.do_not_contact is not None:
        query = query.where(Contact.do_not_contact.is_(f.do_not_contact))
    return query.order_by(*SORTS.get(f.sort, SORTS["name"]))


def search_conditions(q: str) -> list[ColumnElement]:
    folded = fold(q)
    if not folded:
        return []
    if _PHONE_SEARCH.match(folded) and len(phone_digits(folded)) >= 3:
        return [phone_match(q)]
    words = folded.split()[:MAX_WORDS]
    raw = q.strip().lower().split()[:MAX_WORDS]  # emails are kept as typed, accents and all
    members = organisation_members(words)
    conditions = []
    for word, typed in zip(words, raw + [""] * len(words), strict=False):
        if "@" in typed and not typed.startswith("@"):
            conditions.append(prefix_match(Contact.email_key, typed[:254]))
        else:
            conditions.append(word_match(word, members.get(word)))
    return conditions


def phone_match(q: str) -> ColumnElement:
    """A whole, valid number is looked up as E.164; a part of one as digits anywhere."""
    region = current_app.config["DEFAULT_PHONE_REGION"]
    try:
        number = phonenumbers.parse(q, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return Contact.phone == phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.E164
        )
    digits = phone_digits(q)
    return or_(Contact.phone.like(f"%{digits}%"), Contact.search_key.like(f"%{digits}%"))


def word_match(word: str, members: list[int] | None) -> ColumnElement:
    like = f"%{escape_like(word)}%"
    alternatives = [Contact.search_key.like(like, escape="\\")]
    digits = phone_digits(word)
    if len(digits) >= 3 and digits == word:
        alternatives.append(Contact.phone.like(f"%{digits}%"))
    if members is None:  # too many to list
        alternatives.append(
            Contact.id.in_(
                select(Affiliation.contact_id)
                .join(Organisation)
                .where(Organisation.name_key.like(like, escape="\\"))
            )
        )
    elif members:
        alternatives.append(Contact.id.in_(members))
    return or_(*alternatives)


def organisation_members(words: list[str]) -> dict[str, list[int] | None]:
    """The people of the organisations whose names hold each word (of three letters or more:
    shorter ones have no trigram to look up), in one statement; None for a word whose
    organisations have more than MAX_LISTED_MEMBERS people."""
    wanted = [w for w in dict.fromkeys(words) if len(w) >= 3]
    if not wanted:
        return {}
    named = [Organisation.name_key.like(f"%{escape_like(w)}%", escape="\\") for w in wanted]
    rows = db.session.execute(
        select(Organisation.name_key, Affiliation.contact_id)
        .join(Affiliation, Affiliation.organisation_id == Organisation.id)
        .where(or_(*named))
        .limit(MAX_LISTED_MEMBERS + 1)
    ).all()
    if len(rows) > MAX_LISTED_MEMBERS:
        return dict.fromkeys(wanted)
    return {w: sorted({c for name, c in rows if w in name}) for w in wanted}


def prefix_match(column, prefix: str) -> ColumnElement:
    """`column` begins with `prefix`: LIKE 'prefix%' (which PostgreSQL reads through a
    pattern-ops index), and on SQLite also as a range, which its B-tree index serves (its
    LIKE ignores case and so cannot use the index)."""
    condition = column.like(f"{escape_like(prefix)}%", escape="\\")
    if db.session.get_bind().dialect.name == "sqlite":
        return column.between(prefix, prefix + "\U0010ffff") & condition
    return condition
