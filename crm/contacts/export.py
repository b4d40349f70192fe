"""The contacts CSV export: the list's filter, streamed in chunks.

Contacts come from one query read through a server-side cursor (PostgreSQL) or an open
SQLite cursor, as plain columns rather than ORM objects; each chunk's tags and organisations
come from one query each. The download's memory and its queries do not grow with its rows."""

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import select

from crm.contacts.models import Affiliation, Contact, Organisation, Tag, contact_tags
from crm.contacts.services import ContactFilter, contact_query
from crm.extensions import db

CHUNK = 2_000
COLUMNS = ("id", "first_name", "last_name", "preferred_name", "email", "phone",
           "address_line1", "address_line2", "city", "region", "postcode", "country")  # fmt: skip
HEADER = [*COLUMNS, "organisations", "tags", "email_opt_in", "do_not_contact", "created_at"]


def export_rows(f: ContactFilter) -> Iterator[list]:
    columns = [getattr(Contact, name) for name in COLUMNS]
    query = contact_query(f).with_only_columns(
        *columns, Contact.email_opt_in, Contact.do_not_contact, Contact.created_at
    )
    result = db.session.execute(query.execution_options(yield_per=CHUNK))
    for rows in result.partitions():
        ids = [row.id for row in rows]
        organisations, tags = _organisations(ids), _tags(ids)
        for row in rows:
            *fields, opt_in, do_not_contact, created_at = row
            yield [
                *fields,
                "; ".join(organisations.get(row.id, ())),
                "; ".join(tags.get(row.id, ())),
                opt_in,
                do_not_contact,
                created_at.isoformat(timespec="seconds"),
            ]


def _organisations(ids: list[int]) -> dict[int, list[str]]:
    query = (
        select(Affiliation.contact_id, Organisation.name)
        .join(Organisation, Organisation.id == Affiliation.organisation_id)
        .where(Affiliation.contact_id.in_(ids))
        .order_by(Affiliation.contact_id, Affiliation.id)
    )
    return _grouped(query)


def _tags(ids: list[int]) -> dict[int, list[str]]:
    query = (
        select(contact_tags.c.contact_id, Tag.name)
        .join(Tag, Tag.id == contact_tags.c.tag_id)
        .where(contact_tags.c.contact_id.in_(ids))
        .order_by(contact_tags.c.contact_id, Tag.name)
    )
    return _grouped(query)


def _grouped(query) -> dict[int, list[str]]:
    grouped = defaultdict(list)
    for contact_id, name in db.session.execute(query):
        grouped[contact_id].append(name)
    return grouped
