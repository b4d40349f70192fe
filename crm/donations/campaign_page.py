"""A campaign's page gathers sections other domains register (its mailings, for one), the
way a contact's timeline does, so donations imports none of them."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    template: str
    context: dict


SectionSource = Callable[[object], Section | None]
_sources: list[SectionSource] = []


def campaign_section(func: SectionSource) -> SectionSource:
    if func not in _sources:
        _sources.append(func)
    return func


def sections_for(campaign) -> list[Section]:
    return [s for s in (source(campaign) for source in _sources) if s is not None]
