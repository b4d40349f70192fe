"""The conditions a segment is built from, and the SQL they make.

A segment's conditions are a small tree kept as JSON:
``{"match": "all"|"any", "groups": [{"match": "all"|"any", "conditions": [{...}]}]}``; each
condition ({"kind", "negate", "value", "date_from", "date_to", "amount_min", "amount_max",
"number"}) names a kind from the catalogue (`kinds`, filled by condition_kinds.py and
giving_kinds.py) with its value, period, amounts or number, and may be negated. Every kind
builds a boolean over `contacts.id` (an IN over a subquery that never yields NULL, so NOT IN
is safe), so a segment of any shape is one query that the database plans as semi-joins:
counting it does not load a row into Python."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, false, not_, or_, select, true

from crm.contacts.models import Contact
from crm.donations.forms import parse_amount
from crm.donations.queries import org_day_start

MAX_GROUPS = 10
MAX_CONDITIONS = 20  # in a group


class ConditionError(ValueError):
    """A condition that cannot be used; the message says why, for people."""


@dataclass(frozen=True)
class Params:
    value: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    amount_min: int | None = None  # cents
    amount_max: int | None = None
    number: int | None = None

    def period(self, column) -> list:
        """Conditions putting a timestamp column within the period's local days."""
        where = []
        if self.date_from:
            where.append(column >= org_day_start(self.date_from))
        if self.date_to:
            where.append(column < org_day_start(self.date_to + timedelta(days=1)))
        return where

    def amounts(self, expression) -> list:
        where = []
        if self.amount_min is not None:
            where.append(expression >= self.amount_min)
        if self.amount_max is not None:
            where.append(expression <= self.amount_max)
        return where


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    group: str  # where the kind is listed: "Contact", "Email", "Giving", ...
    build: Callable[[Params], ColumnElement]
    value: str | None = None  # a choice list's name (see `choice_lists`), "text", or None
    period: bool = False  # takes an optional period
    amount: bool = False  # takes an amount range (money)
    number: str | None = None  # what its number counts ("days", "hours")
    money: bool = False  # only for roles that may see money
    money_values: frozenset = field(default_factory=frozenset)  # values that are about money


kinds: dict[str, Kind] = {}
# name -> function returning [(value, label)]; filled by the modules that know the records
choice_lists: dict[str, Callable[[], list[tuple[str, str]]]] = {}


def kind(key: str, label: str, group: str, **options):
    def register(build: Callable[[Params], ColumnElement]):
        kinds.setdefault(key, Kind(key, label, group, build, **options))
        return build

    return register


def among(ids_query) -> ColumnElement:
    """Contact ids from a one-column subquery (NULLs left out, so that NOT IN stays true)."""
    column = ids_query.selected_columns[0]
    return Contact.id.in_(ids_query.where(column.is_not(None)))


# --- reading and checking -----------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    kind: Kind
    params: Params
    negate: bool = False

    @property
    def money(self) -> bool:
        return self.kind.money or self.params.value in self.kind.money_values

    def sql(self) -> ColumnElement:
        expression = self.kind.build(self.params)
        return not_(expression) if self.negate else expression


def _date(raw, name: str) -> date | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ConditionError(f"{name} is not a date.") from exc


def _amount(raw, name: str) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return parse_amount(str(raw))
    except ValueError as exc:
        raise ConditionError(f"{name}: {exc}") from exc


def _number(raw, label: str) -> int | None:
    if raw in (None, ""):
        return None
    try:
        number = int(str(raw).strip())
    except ValueError as exc:
        raise ConditionError(f"Enter a whole number of {label}.") from exc
    if not 0 <= number <= 100_000:
        raise ConditionError(f"Enter a number of {label} between 0 and 100,000.")
    return number


def read_condition(data: dict, may_see_money: bool) -> Condition:
    found = kinds.get(str(data.get("kind") or ""))
    if found is None:
        raise ConditionError("Choose what the condition is about.")
    value = str(data.get("value") or "").strip()[:200]
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ConditionError(f"{found.label}: the value has characters that cannot be used.")
    if found.value == "text" and not value:
        raise ConditionError(f"{found.label}: type a value.")
    if found.value not in (None, "text"):
        allowed = {str(v) for v, _ in choice_lists[found.value]()}
        if value not in allowed:
            raise ConditionError(f"{found.label}: choose one from the list.")
    params = Params(
        value=value,
        date_from=_date(data.get("date_from"), "From") if found.period else None,
        date_to=_date(data.get("date_to"), "To") if found.period else None,
        amount_min=_amount(data.get("amount_min"), "At least") if found.amount else None,
        amount_max=_amount(data.get("amount_max"), "At most") if found.amount else None,
        number=_number(data.get("number"), found.number) if found.number else None,
    )
    _check_ranges(found, params)
    condition = Condition(found, params, bool(data.get("negate")))
    if condition.money and not may_see_money:
        raise ConditionError(f"{found.label}: your role cannot filter by giving.")
    return condition


def _check_ranges(found: Kind, params: Params) -> None:
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise ConditionError(f"{found.label}: the period ends before it begins.")
    low, high = params.amount_min, params.amount_max
    if low is not None and high is not None and low > high:
        raise ConditionError(f"{found.label}: the smallest amount is above the largest.")
    if found.amount and low is None and high is None:
        raise ConditionError(f"{found.label}: give at least or at most an amount.")
    if found.number and params.number is None:
        raise ConditionError(f"{found.label}: enter the number of {found.number}.")


@dataclass(frozen=True)
class Tree:
    match: str  # "all" or "any"
    groups: list[tuple[str, list[Condition]]]

    @property
    def money(self) -> bool:
        return any(c.money for _, conditions in self.groups for c in conditions)

    @property
    def empty(self) -> bool:
        return not any(conditions for _, conditions in self.groups)

    def sql(self) -> ColumnElement:
        parts = [_combine(match, [c.sql() for c in conditions])
                 for match, conditions in self.groups if conditions]  # fmt: skip
        return _combine(self.match, parts) if parts else false()


def _combine(match: str, parts: list) -> ColumnElement:
    if not parts:
        return true()
    return and_(*parts) if match == "all" else or_(*parts)


def read_tree(data: dict, may_see_money: bool) -> Tree:
    """The stored or posted JSON as a checked tree; raises ConditionError for the first
    problem (with the group and condition it is in)."""
    if not isinstance(data, dict):
        raise ConditionError("The conditions could not be read.")
    groups = []
    raw_groups = data.get("groups") or []
    if not isinstance(raw_groups, list) or len(raw_groups) > MAX_GROUPS:
        raise ConditionError(f"A segment has at most {MAX_GROUPS} groups of conditions.")
    for g, raw in enumerate(raw_groups, 1):
        raw_conditions = raw.get("conditions") if isinstance(raw, dict) else None
        if not isinstance(raw_conditions, list) or len(raw_conditions) > MAX_CONDITIONS:
            raise ConditionError(f"Group {g} has more than {MAX_CONDITIONS} conditions.")
        conditions = []
        for n, item in enumerate(raw_conditions, 1):
            try:
                conditions.append(read_condition(item if isinstance(item, dict) else {},
                                                 may_see_money))  # fmt: skip
            except ConditionError as exc:
                where = f"group {g}, condition {n}" if len(raw_groups) > 1 else f"condition {n}"
                raise ConditionError(f"In {where}: {exc}") from exc
        groups.append((_match(raw.get("match")), conditions))
    return Tree(_match(data.get("match")), groups)


def _match(value) -> str:
    return "any" if value == "any" else "all"


def contact_ids(tree: Tree):
    """SELECT contacts.id of the tree's contacts."""
    return select(Contact.id).where(tree.sql())
