"""A contact's timeline. Each domain registers a source that yields entries for a contact,
so the contacts package never imports the domains that fill it."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str  # "note", "gift", "shift", "event", ...: also the CSS modifier
    title: str
    body: str = ""
    url: str | None = None


TimelineSource = Callable[[object], Iterable[TimelineEntry]]
_sources: list[TimelineSource] = []


def timeline_source(func: TimelineSource) -> TimelineSource:
    if func not in _sources:
        _sources.append(func)
    return func


def timeline_for(contact, limit: int = 100) -> list[TimelineEntry]:
    entries = [entry for source in _sources for entry in source(contact)]
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]


@timeline_source
def _notes(contact) -> Iterable[TimelineEntry]:
    for note in contact.notes:
        author = note.author.name if note.author else "Someone"
        yield TimelineEntry(
            when=note.created_at, kind="note", title=f"Note by {author}", body=note.body
        )
