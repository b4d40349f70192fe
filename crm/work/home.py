"""What waits for each member of staff, gathered for the home page. Each domain registers a
provider (who sees it, in what order) that returns a short list of things to act on, with
how many there are in all and a link to the whole list, so this package imports no domain.
A provider answers with a fixed number of queries (a count and the first few rows)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select

from crm.auth.roles import Role
from crm.extensions import db


@dataclass(frozen=True)
class Action:
    """A button that does the thing from the home page itself (a POST with CSRF)."""

    label: str
    url: str
    context: str = ""  # words for screen readers: "Done: call Ann Lee"
    fields: tuple[tuple[str, str], ...] = ()  # hidden form fields the target expects


@dataclass(frozen=True)
class WorkItem:
    label: str
    url: str
    detail: str = ""
    urgent: bool = False  # overdue, failed, expiring soon: drawn so it stands out
    action: Action | None = None


@dataclass
class WorkList:
    key: str
    title: str
    count: int
    items: list[WorkItem] = field(default_factory=list)
    more_url: str | None = None
    more_label: str = "See all"
    empty: str = "Nothing waiting."

    @property
    def count_label(self) -> str:
        return f"{CAP}+" if self.count > CAP else str(self.count)


Provider = Callable[[object], WorkList | None]


@dataclass(frozen=True)
class _Registered:
    key: str
    roles: frozenset
    order: int
    provider: Provider


_providers: list[_Registered] = []
FIRST_FEW = 5
CAP = 99  # beyond this a count says "99+": counting stops there, however much waits


def capped_count(query: Select) -> int:
    """How many rows the query has, counting no further than CAP + 1."""
    capped = query.order_by(None).limit(CAP + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(capped))


def waiting(key: str, roles: tuple[Role, ...], order: int):
    """Register `provider(user) -> WorkList | None` for these roles (admins see them all)."""

    def register(provider: Provider) -> Provider:
        if not any(p.key == key for p in _providers):
            _providers.append(_Registered(key, frozenset(roles) | {Role.ADMIN}, order, provider))
            _providers.sort(key=lambda p: p.order)
        return provider

    return register


def work_for(user) -> list[WorkList]:
    lists = []
    for registered in _providers:
        if user.role in registered.roles:
            found = registered.provider(user)
            if found is not None:
                lists.append(found)
    return lists
