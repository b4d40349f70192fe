"""A contact's timeline and page actions. Each domain registers a source that yields entries
(or action links) for a contact, so the contacts package never imports the domains that fill
it. A source decides itself what the signed-in user may see (gifts only for money roles)."""

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


@timeline_source
def _notes(contact) -> Iterable[TimelineEntry]:
    for note in contact.notes:
        author = note.author.name if note.author else "Someone"
        yield TimelineEntry(
            when=note.created_at, kind="note", title=f"Note by {author}", body=note.body
        )
