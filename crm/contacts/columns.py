"""Columns other domains add to the contacts list (giving, for the roles that see money).
A source gets the ids of the contacts on the page and answers for all of them at once, so a
page of 25 or of 100 costs each source one query; it decides itself what the signed-in user
may see and returns no columns otherwise. The contacts package imports none of them."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ListColumn:
    label: str
    cells: dict[int, str] = field(default_factory=dict)  # contact id -> text; missing: empty
    numeric: bool = False  # right-aligned


ColumnSource = Callable[[list[int]], list[ListColumn]]
_sources: list[ColumnSource] = []


def list_column_source(func: ColumnSource) -> ColumnSource:
    if func not in _sources:
        _sources.append(func)
    return func


def list_columns(contact_ids: list[int]) -> list[ListColumn]:
    if not contact_ids:
        return []
    return [column for source in _sources for column in source(contact_ids)]
