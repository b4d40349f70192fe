"""A contact's timeline and page actions. Each domain registers sources that yield entries
(or action links) for a contact, so the contacts package never imports the domains that fill
it. A source decides itself what the signed-in user may see (gifts only for money roles).

The timeline is read a page at a time, newest first. Each source answers one query for the
entries before a cursor (a moment, the source's name and a row id, so that entries at the
same moment keep one order), at most a page of them; the page is the newest of those. The
cost of a page does not grow with the contact's history (a donor with 2,000 gifts)."""

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, and_, false, or_, select, true
from sqlalchemy.orm import joinedload

from crm.contacts.models import Note
from crm.extensions import db

# The timeline's filters: (value in the URL, label). A source belongs to one of them.
GROUPS = {
    "gifts": "Gifts",
    "notes": "Notes",
    "events": "Events",
    "volunteering": "Volunteering",
    "email": "Email",
}


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str  # "note", "gift", "shift", "event", ...: also the CSS modifier
    title: str
    body: str = ""
    url: str | None = None
    row_id: int = 0  # the row's id within its source: the tie-break at the same moment
    source: str = ""


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: entries strictly older than this come next."""

    when: datetime
    source: str
    row_id: int

    def encode(self) -> str:
        raw = f"{self.when.isoformat()}|{self.source}|{self.row_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> "Cursor | None":
        """The cursor of a URL, or None for one that is missing or not ours."""
        if not text or len(text) > 200:
            return None
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            when, source, row_id = raw.split("|")
            moment = datetime.fromisoformat(when)
            if moment.tzinfo is None:
                return None
            return cls(moment, source, int(row_id))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None


def before(cursor: Cursor | None, name: str, when_column, id_column):
    """The SQL condition "older than the cursor" for a source called `name`."""
    if cursor is None:
        return true()
    if name < cursor.source:
        same_moment = true()
    elif name == cursor.source:
        same_moment = id_column < cursor.row_id
    else:
        same_moment = false()
    return or_(when_column < cursor.when, and_(when_column == cursor.when, same_moment))


def newest(model, name: str, when_column, cursor: Cursor | None, limit: int, *conditions) -> Select:
    """A source's query: its rows matching the conditions, older than the cursor, newest
    first, at most `limit` (add `.options(...)` for what the entries show)."""
    return (
        select(model)
        .where(*conditions, before(cursor, name, when_column, model.id))
        .order_by(when_column.desc(), model.id.desc())
        .limit(limit)
    )


PagedSource = Callable[[object, Cursor | None, int], Iterable[TimelineEntry]]


@dataclass(frozen=True)
class Source:
    name: str
    group: str
    fetch: PagedSource


_paged: dict[str, Source] = {}


def paged_source(name: str, group: str) -> Callable[[PagedSource], PagedSource]:
    """Register `fetch(contact, cursor, limit)`: at most `limit` entries older than the
    cursor, newest first, each with its `row_id`, from one query."""
    if group not in GROUPS:
        raise ValueError(f"unknown timeline group {group}")

    def register(fetch: PagedSource) -> PagedSource:
        _paged.setdefault(name, Source(name, group, fetch))
        return fetch

    return register


# Older sources yield a contact's whole history at once; they still work, read in full.
TimelineSource = Callable[[object], Iterable[TimelineEntry]]
_sources: list[TimelineSource] = []


def timeline_source(func: TimelineSource) -> TimelineSource:
    if func not in _sources:
        _sources.append(func)
    return func


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: Cursor | None  # None: nothing older
    group: str | None
    groups: dict[str, str] = field(default_factory=dict)


def timeline_page(
    contact, group: str | None = None, cursor: Cursor | None = None, limit: int = 25
) -> TimelinePage:
    sources = [s for s in _paged.values() if group in (None, s.group)]
    entries = []
    for source in sources:
        for entry in source.fetch(contact, cursor, limit + 1):
            entries.append(_stamped(entry, source.name))
    if group is None:
        entries += _legacy_entries(contact, cursor)
    entries.sort(key=_order, reverse=True)
    page, more = entries[:limit], len(entries) > limit
    last = page[-1] if page else None
    next_cursor = Cursor(last.when, last.source, last.row_id) if more and last else None
    return TimelinePage(page, next_cursor, group, dict(GROUPS))


def _stamped(entry: TimelineEntry, source: str) -> TimelineEntry:
    if entry.source == source:
        return entry
    return TimelineEntry(entry.when, entry.kind, entry.title, entry.body, entry.url,
                         entry.row_id, source)  # fmt: skip


def _order(entry: TimelineEntry):
    return (entry.when, entry.source, entry.row_id)


def _legacy_entries(contact, cursor: Cursor | None) -> list[TimelineEntry]:
    found = []
    for func in _sources:
        name = f"~{func.__module__}.{func.__name__}"
        for number, entry in enumerate(func(contact), 1):
            entry = TimelineEntry(entry.when, entry.kind, entry.title, entry.body, entry.url,
                                  number, name)  # fmt: skip
            if cursor is None or _order(entry) < (cursor.when, cursor.source, cursor.row_id):
                found.append(entry)
    return found


def timeline_for(contact, limit: int = 100) -> list[TimelineEntry]:
    """The newest entries of every kind (the first page)."""
    return timeline_page(contact, limit=limit).entries


@dataclass(frozen=True)
class ContactAction:
    label: str
    url: str


ActionSource = Callable[[object], Iterable[ContactAction]]
_action_sources: list[ActionSource] = []


def contact_action_source(func: ActionSource) -> ActionSource:
    if func not in _action_sources:
        _action_sources.append(func)
    return func


def actions_for(contact) -> list[ContactAction]:
    return [action for source in _action_sources for action in source(contact)]


@paged_source("notes", "notes")
def _notes(contact, cursor: Cursor | None, limit: int) -> Iterable[TimelineEntry]:
    query = newest(Note, "notes", Note.created_at, cursor, limit, Note.contact_id == contact.id)
    for note in db.session.scalars(query.options(joinedload(Note.author))):
        author = note.author.name if note.author else "Someone"
        yield TimelineEntry(
            when=note.created_at, kind="note", title=f"Note by {author}", body=note.body,
            row_id=note.id,
        )  # fmt: skip


# Mail that only money roles may see (receipts, statements, pledge reminders), and mail about
# accounts that is nobody's business on a contact's page.
MONEY_MAIL = "donations/"
PRIVATE_MAIL = "auth/"


@paged_source("email", "email")
def _email(contact, cursor: Cursor | None, limit: int) -> Iterable[TimelineEntry]:
    from flask import has_request_context
    from flask_login import current_user

    from crm.auth.roles import Role
    from crm.mail.models import OutboundEmail

    if not contact.email or not has_request_context() or not current_user.is_authenticated:
        return
    mail = OutboundEmail
    query = (
        select(mail.id, mail.created_at, mail.subject, mail.status, mail.template)
        .where(
            mail.to_address == contact.email,
            ~mail.template.startswith(PRIVATE_MAIL),
            before(cursor, "email", mail.created_at, mail.id),
        )
        .order_by(mail.created_at.desc(), mail.id.desc())
        .limit(limit)
    )
    if not current_user.has_role(Role.FUNDRAISER):
        query = query.where(~mail.template.startswith(MONEY_MAIL))
    for row in db.session.execute(query):
        yield TimelineEntry(
            when=row.created_at, kind="email", title=f"Email: {row.subject}",
            body=f"Status: {row.status.value}", row_id=row.id,
        )  # fmt: skip
