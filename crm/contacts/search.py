"""Finding contacts: the list's filters and its search by name, email, phone or organisation,
built so that each kind of search has an index to use at a million contacts.

- An email address, or its beginning ("ann@exa"), is looked up on the normalised
  `email_key` (exact or prefix: a B-tree range; on PostgreSQL a `varchar_pattern_ops`
  index, since its collation may not sort like bytes).
- A whole phone number, however it is written, is looked up as E.164 (`phone`, B-tree); a
  part of one ("555-0143") as digits anywhere in a phone number.
- Words match anywhere in a name or email (`search_key`, folded: case- and accent-free) or in
  the name of an organisation the person belongs to; a search can also be an organisation's
  name, all its words in that name. On PostgreSQL trigram indexes (pg_trgm) serve the
  "anywhere". The organisations' people are fetched first, in one statement, so that the
  search stays conditions PostgreSQL can read through its indexes (an OR with a subquery
  makes it walk the name index and test every row). SQLite scans, fine at its sizes.
"""

import re
from dataclasses import dataclass

import phonenumbers
from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, literal, or_, select, union_all

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
# The people of the organisations whose names hold a word are listed up to this many; a word
# as common as "school" in organisation names then matches people by their own names only.
WORD_MEMBERS = 200
# The people of the organisations whose names hold every word of the search.
NAME_MEMBERS = 5_000
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
    by_word, named = organisation_members(words)
    conditions = []
    for word, typed in zip(words, raw + [""] * len(words), strict=False):
        if "@" in typed and not typed.startswith("@"):
            conditions.append(prefix_match(Contact.email_key, typed[:254]))
        else:
            conditions.append(word_match(word, by_word.get(word, [])))
    if named is not None:  # the search is (part of) an organisation's name
        return [or_(and_(*conditions), Contact.id.in_(named))]
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
    return Contact.phone.like(f"%{phone_digits(q)}%")


def word_match(word: str, members: list[int]) -> ColumnElement:
    alternatives = [Contact.search_key.like(f"%{escape_like(word)}%", escape="\\")]
    digits = phone_digits(word)
    if len(digits) >= 3 and digits == word:
        alternatives.append(Contact.phone.like(f"%{digits}%"))
    if members:
        alternatives.append(Contact.id.in_(members))
    return or_(*alternatives)


def organisation_members(
    words: list[str],
) -> tuple[dict[str, list[int]], list[int] | Select | None]:
    """In one statement: for each word (of three letters or more: shorter ones have no
    trigram to look up; not an email or a number), the people of the organisations whose
    names hold it, unless there are more than WORD_MEMBERS; and, for a search of several
    words, the people of the organisations whose names hold every word."""
    wanted = [w for w in dict.fromkeys(words) if len(w) >= 3 and "@" not in w and not w.isdigit()]
    if not wanted:
        return {}, None
    likes = {w: Organisation.name_key.like(f"%{escape_like(w)}%", escape="\\") for w in wanted}
    parts = [_members(index, [like], WORD_MEMBERS) for index, like in enumerate(likes.values())]
    if len(wanted) > 1:
        parts.append(_members(-1, list(likes.values()), NAME_MEMBERS))
    found: dict[int, list[int]] = {}
    for index, contact_id in db.session.execute(union_all(*parts)):
        found.setdefault(index, []).append(contact_id)
    by_word = {
        w: found.get(i, []) for i, w in enumerate(wanted) if len(found.get(i, [])) <= WORD_MEMBERS
    }
    named = found.get(-1)
    if named is not None and len(named) > NAME_MEMBERS:  # a very large organisation
        named = select(Affiliation.contact_id).join(Organisation).where(*likes.values())
    return by_word, named


def _members(index: int, conditions: list, limit: int) -> Select:
    people = (
        select(literal(index).label("word"), Affiliation.contact_id)
        .join(Organisation, Organisation.id == Affiliation.organisation_id)
        .where(*conditions)
        .limit(limit + 1)
        .subquery()
    )
    return select(people.c.word, people.c.contact_id)


def prefix_match(column, prefix: str) -> ColumnElement:
    """`column` begins with `prefix`: LIKE 'prefix%' (which PostgreSQL reads through a
    pattern-ops index), and on SQLite also as a range, which its B-tree index serves (its
    LIKE ignores case and so cannot use the index)."""
    condition = column.like(f"{escape_like(prefix)}%", escape="\\")
    if db.session.get_bind().dialect.name == "sqlite":
        return column.between(prefix, prefix + "\U0010ffff") & condition
    return condition
