"""A person's data: everything held about them (export) and its erasure.

Both walk every foreign key to contacts.id through the SQLAlchemy metadata, so tables added
by later features are covered without changes here; a domain whose data is not linked by a
foreign key (or needs more than a generic treatment) registers an exporter or an eraser.
Erasure keeps what the accounts need (gifts with their amounts and dates) on an anonymised
contact, deletes the rest, and scrubs copies of the person's details from the audit log, the
mail outbox and other logs."""

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Enum as Enum_
from sqlalchemy import String, Text, cast, delete, func, or_, select, update

from crm.audit.models import AuditEvent
from crm.audit.services import jsonable, record_event
from crm.contacts.models import Contact
from crm.dataio.models import Erasure
from crm.extensions import db

ERASED = "[erased]"
ERASED_EMAIL = "erased@invalid"


@dataclass(frozen=True)
class Identity:
    """What identifies the person in free text: looked for in logs and copies."""

    contact_id: int
    needles: tuple[str, ...]  # email, phone, full name: searched in unlinked rows
    email_key: str | None


class ErasureRefused(ValueError):
    """The contact cannot be erased yet; the message says what to do first."""


Exporter = Callable[[Contact], dict[str, list[dict]]]
Eraser = Callable[[Identity], None]
Check = Callable[[Contact], str | None]
_exporters: list[Exporter] = []
_erasers: list[Eraser] = []
_checks: list[Check] = []


def exporter(func: Exporter) -> Exporter:
    if func not in _exporters:
        _exporters.append(func)
    return func


def eraser(func: Eraser) -> Eraser:
    """Register a function that removes the person's data that no foreign key leads to."""
    if func not in _erasers:
        _erasers.append(func)
    return func


def erasure_check(func: Check) -> Check:
    """Register a check that returns why a contact cannot be erased yet, or None."""
    if func not in _checks:
        _checks.append(func)
    return func


def _row_dict(row) -> dict:
    return {key: jsonable(value) for key, value in row._mapping.items()}


def contact_references():
    """(table, column, ondelete) of every foreign key to contacts.id."""
    contacts = Contact.__table__
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column is contacts.c.id:
                yield table, fk.parent, (fk.ondelete or "").upper()


# --- export ---------------------------------------------------------------------------------


def export_contact(contact: Contact) -> dict:
    table = Contact.__table__
    person = db.session.execute(select(table).where(table.c.id == contact.id)).one()
    records: dict[str, list[dict]] = {}
    for ref_table, column, _ in contact_references():
        rows = db.session.execute(select(ref_table).where(column == contact.id)).all()
        if rows:
            records.setdefault(ref_table.name, []).extend(_row_dict(r) for r in rows)
    for func_ in _exporters:
        for name, rows in func_(contact).items():
            if rows:
                records.setdefault(name, []).extend(rows)
    return {"contact": _row_dict(person), "records": records}


def export_rows(data: dict):
    """The export as CSV rows: record, number, field, value."""
    for field, value in data["contact"].items():
        yield ["contact", 1, field, _cell(value)]
    for name, rows in data["records"].items():
        for number, row in enumerate(rows, 1):
            for field, value in row.items():
                yield [name, number, field, _cell(value)]


def _cell(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


@exporter
def _audit_entries(contact: Contact) -> dict:
    query = (
        select(AuditEvent)
        .where(AuditEvent.entity_type == "Contact", AuditEvent.entity_id == contact.id)
        .order_by(AuditEvent.id)
    )
    return {"audit_log": [
        {"occurred_at": e.occurred_at.isoformat(), "action": e.action, "summary": e.summary,
         "changes": e.changes} for e in db.session.scalars(query)
    ]}  # fmt: skip


# --- erasure ---------------------------------------------------------------------------------


def identity(contact: Contact) -> Identity:
    names = {contact.full_name, contact.display_name}
    needles = [
        n for n in (contact.email, contact.email_key, contact.phone, *names) if n and len(n) >= 4
    ]
    return Identity(contact.id, tuple(dict.fromkeys(needles)), contact.email_key)


def erase_contact(contact: Contact, reason: str, user=None) -> Erasure:
    """Erase the person everywhere. Gifts and other records the accounts need stay, linked to
    an anonymised contact; everything else about them is deleted or scrubbed. The caller
    commits."""
    for check in _checks:
        problem = check(contact)
        if problem:
            raise ErasureRefused(problem)
    who = identity(contact)
    db.session.flush()
    kept = _unlink(who)
    for func_ in _erasers:
        func_(who)
    table = Contact.__table__
    if kept:
        db.session.execute(update(table).where(table.c.id == who.contact_id).values(**ANONYMOUS))
    else:
        db.session.execute(delete(table).where(table.c.id == who.contact_id))
    db.session.expire_all()
    erasure = Erasure(
        contact_id=who.contact_id,
        reason=reason[:60],
        erased_by_id=user.id if user else None,
        kept=", ".join(f"{n} {t.replace('_', ' ')}" for t, n in kept.items()) or None,
    )
    db.session.add(erasure)
    db.session.flush()
    scrub_audit_log(who)
    record_event(
        "erase",
        "Contact",
        who.contact_id,
        {"reason": reason[:60]},
        summary="Erased a contact's personal data",
    )
    db.session.flush()
    return erasure


ANONYMOUS = {
    "first_name": "Erased", "last_name": "contact", "preferred_name": None, "email": None,
    "phone": None, "birth_date": None, "address_line1": None, "address_line2": None,
    "city": None, "region": None, "postcode": None, "country": None, "email_opt_in": False,
    "do_not_contact": True,
    "stripe_customer_id": None, "email_key": None, "postcode_key": None,
    "search_key": "erased contact",
}  # fmt: skip


def _unlink(who: Identity) -> dict[str, int]:
    """Delete the rows that go with the person (ON DELETE CASCADE), detach the ones kept
    without them (SET NULL), and count those that must stay linked (gifts)."""
    kept = {}
    for table, column, ondelete in contact_references():
        where = column == who.contact_id
        if ondelete != "CASCADE" and who.needles:
            _scrub_text_columns(table, where, who)
        if ondelete == "CASCADE":
            db.session.execute(delete(table).where(where))
        elif ondelete == "SET NULL":
            db.session.execute(update(table).where(where).values({column.name: None}))
        else:
            count = db.session.scalar(select(func.count()).select_from(table).where(where))
            if count:
                kept[table.name] = count
    return kept


def _scrub_text_columns(table, where, who: Identity) -> None:
    """Free text in rows that stay (a training request's notes) may name the person."""
    for column in table.c:
        plain_text = isinstance(column.type, String | Text) and not isinstance(column.type, Enum_)
        too_short = (getattr(column.type, "length", None) or 1000) < 20  # codes, currencies
        if plain_text and not too_short and not column.foreign_keys:
            db.session.execute(
                update(table)
                .where(where, mentions([column], who.needles))
                .values({column.name: ERASED})
            )


def scrub(value, needles: tuple[str, ...], everything: bool = False):
    """The value with every string that mentions the person (or every string at all)
    replaced; numbers, dates' structure and flags stay."""
    if isinstance(value, dict):
        return {k: scrub(v, needles, everything) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, needles, everything) for v in value]
    if isinstance(value, str):
        lowered = value.lower()
        if everything or any(n.lower() in lowered for n in needles):
            return ERASED
    return value


def _about(changes: dict, contact_id: int) -> bool:
    linked = changes.get("contact_id") if isinstance(changes, dict) else None
    return linked == contact_id or (isinstance(linked, list) and contact_id in linked)


def scrub_audit_log(who: Identity) -> int:
    """The audit log keeps old values: scrub every entry about the person (all its text) and
    every other entry that mentions them. The whole log is read in pieces: erasure is rare."""
    scrubbed, last_id = 0, 0
    while True:
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(1000)
        ).all()
        if not events:
            return scrubbed
        for event in events:
            about = (
                event.entity_type == "Contact" and event.entity_id == who.contact_id
            ) or _about(event.changes, who.contact_id)
            changes = scrub(event.changes or {}, who.needles, everything=about)
            summary = event.summary
            if summary and (about or scrub(summary, who.needles) == ERASED):
                summary = ERASED
            if changes != event.changes or summary != event.summary:
                event.changes, event.summary = changes, summary
                scrubbed += 1
        last_id = events[-1].id
        db.session.flush()


def mentions(columns, needles: tuple[str, ...]):
    """A prefilter: any of the columns contains any of the needles, ignoring case."""
    return or_(
        *[
            func.lower(cast(c, Text) if not isinstance(c.type, String | Text) else c).contains(
                n.lower(), autoescape=True
            )
            for c in columns
            for n in needles
        ]
    )


@eraser
def _outbox(who: Identity) -> None:
    from crm.mail.models import MailStatus, OutboundEmail

    if not who.needles:
        return
    columns = (OutboundEmail.to_address, OutboundEmail.subject, OutboundEmail.text_body,
               OutboundEmail.html_body, OutboundEmail.attachments)  # fmt: skip
    about = mentions(columns, who.needles)
    db.session.execute(
        update(OutboundEmail)
        .where(about, OutboundEmail.status != MailStatus.SENT)
        .values(status=MailStatus.FAILED, last_error="Not sent: the person's data was erased.")
    )
    db.session.execute(
        update(OutboundEmail).where(about).values(
            to_address=ERASED_EMAIL, subject=ERASED, text_body=ERASED, html_body=None,
            attachments=None,
        )
    )  # fmt: skip
