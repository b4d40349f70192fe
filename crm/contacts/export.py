"""The contacts CSV export: the list's filter, streamed.

Three queries, however many rows: the contacts, their tags and their organisations, each in
the list's order and read through a server-side cursor (PostgreSQL) or an open SQLite
cursor, as plain columns rather than ORM objects. The list's sort always ends with the id, so
the three come in the same order and are merged as they stream; the download's memory and
its queries do not grow with its rows. (Fetching each chunk's tags by id instead scanned the
link table once per chunk, which grew with the square of the export.)"""

from collections.abc import Iterator

from crm.contacts.models import Affiliation, Contact, Organisation, Tag, contact_tags
from crm.contacts.services import ContactFilter, contact_query
from crm.extensions import db

CHUNK = 2_000
COLUMNS = ("id", "first_name", "last_name", "preferred_name", "email", "phone",
           "address_line1", "address_line2", "city", "region", "postcode", "country")  # fmt: skip
HEADER = [*COLUMNS, "organisations", "tags", "email_opt_in", "do_not_contact", "created_at"]


def export_rows(f: ContactFilter) -> Iterator[list]:
    query = contact_query(f)
    columns = [getattr(Contact, name) for name in COLUMNS]
    people = query.with_only_columns(
        *columns, Contact.email_opt_in, Contact.do_not_contact, Contact.created_at
    )
    tagged = Contact.__table__.join(contact_tags).join(Tag.__table__)
    tags = _Names(
        query.with_only_columns(Contact.id, Tag.name).select_from(tagged).order_by(Tag.name)
    )
    linked = Contact.__table__.join(Affiliation.__table__).join(Organisation.__table__)
    organisations = _Names(
        query.with_only_columns(Contact.id, Organisation.name)
        .select_from(linked)
        .order_by(Affiliation.id)
    )
    for row in _stream(people):
        *fields, opt_in, do_not_contact, created_at = row
        yield [
            *fields,
            "; ".join(organisations.of(row.id)),
            "; ".join(tags.of(row.id)),
            opt_in,
            do_not_contact,
            created_at.isoformat(timespec="seconds"),
        ]


def _stream(query):
    # Core rows on the session's connection: the ORM's result layer only costs time here.
    return db.session.connection().execute(query.execution_options(yield_per=CHUNK))


class _Names:
    """(contact id, name) rows in the contacts' order, taken one contact at a time."""

    def __init__(self, query):
        self.rows = iter(_stream(query))
        self.ahead = next(self.rows, None)

    def of(self, contact_id: int) -> list[str]:
        names = []
        while self.ahead is not None and self.ahead[0] == contact_id:
            names.append(self.ahead[1])
            self.ahead = next(self.rows, None)
        return names
