"""Summaries at the top of a contact's page (giving, volunteering, events) and of a
household's (its giving). Each domain registers a panel source, which decides itself who may
see it (giving only for money roles) and answers with a fixed number of queries, so the
page's cost does not grow with history."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    template: str  # rendered with `panel` (and the page's own variables)
    data: dict = field(default_factory=dict)


PanelSource = Callable[[object], Panel | None]
_sources: dict[str, list[tuple[int, PanelSource]]] = {}


def contact_panel(order: int, subject: str = "contact") -> Callable[[PanelSource], PanelSource]:
    """Register `source(record) -> Panel | None` for contacts (or "household" pages)."""

    def register(source: PanelSource) -> PanelSource:
        sources = _sources.setdefault(subject, [])
        if all(existing is not source for _, existing in sources):
            sources.append((order, source))
            sources.sort(key=lambda pair: pair[0])
        return source

    return register


def panels_for(record, subject: str = "contact") -> list[Panel]:
    return [
        panel for _, source in _sources.get(subject, []) if (panel := source(record)) is not None
    ]
