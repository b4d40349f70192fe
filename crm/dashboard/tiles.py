"""The dashboard's tiles. Each domain's figures register a tile (who sees it, what it shows,
which template draws it), so a new domain adds tiles without touching the page: volunteer
tiles, for example, register themselves the same way."""

from collections.abc import Callable
from dataclasses import dataclass

from crm.auth.roles import Role
from crm.dashboard.calendar import Period

MONEY = (Role.FUNDRAISER,)  # admins always see every tile
PROGRAMME = (Role.FUNDRAISER, Role.COORDINATOR)


@dataclass(frozen=True)
class View:
    """What the dashboard is showing: the period, the campaign filter, the series grain."""

    period: Period
    campaign_id: int | None
    by: str  # "week" or "month"

    def args(self, **extra) -> dict:
        args = {"period": self.period.kind, "by": self.by}
        if self.period.kind == "custom":
            args |= {"from": self.period.first.isoformat(), "to": self.period.last.isoformat()}
        if self.campaign_id:
            args["campaign"] = self.campaign_id
        return args | extra

    def gift_args(self, **extra) -> dict:
        """The donations list's filter for the same period and campaign."""
        args = {"date_from": self.period.first.isoformat(), "date_to": self.period.last.isoformat()}
        if self.campaign_id:
            args["campaign"] = self.campaign_id
        return args | extra


@dataclass(frozen=True)
class Tile:
    key: str
    title: str
    template: str  # under templates/dashboard/tiles/
    roles: tuple[Role, ...]
    order: int
    build: Callable[[View], dict]
    wide: bool = False


_tiles: list[Tile] = []


def tile(key: str, title: str, roles: tuple, order: int, wide: bool = False):
    def register(build: Callable[[View], dict]) -> Callable[[View], dict]:
        if not any(t.key == key for t in _tiles):
            _tiles.append(
                Tile(key, title, f"dashboard/tiles/{key}.html", roles, order, build, wide)
            )
            _tiles.sort(key=lambda t: t.order)
        return build

    return register


def tiles_for(user) -> list[Tile]:
    return [t for t in _tiles if any(user.has_role(role) for role in t.roles)]


def sees_money(user) -> bool:
    return any(user.has_role(role) for role in MONEY)
