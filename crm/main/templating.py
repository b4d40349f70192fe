"""Template helpers: the role-aware navigation and display filters."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from crm.auth.roles import Role
from crm.contacts.normalise import format_phone

STAFF = (Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR)

# (label, endpoint, roles that see it, endpoint prefix that marks it as the current section)
NAVIGATION = [
    ("Home", "main.home", tuple(Role), "main."),
    ("Contacts", "contacts.index", STAFF, "contacts.index"),
    ("Organisations", "contacts.organisations", STAFF, "contacts.organisation"),
    ("Users", "auth.users", (Role.ADMIN,), "auth.users"),
    ("Audit log", "audit.index", (Role.ADMIN,), "audit."),
    ("Outbox", "mail.index", (Role.ADMIN,), "mail."),
]


@dataclass
class NavItem:
    label: str
    url: str
    active: bool


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    endpoint = request.endpoint or ""
    return [
        NavItem(label, url_for(target), endpoint.startswith(prefix))
        for label, target, roles, prefix in NAVIGATION
        if current_user.role in roles
    ]


def localtime(value: datetime | None, fmt: str = "%-d %b %Y, %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["ORG_TIMEZONE"])).strftime(fmt)


def register(app: Flask) -> None:
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["phone"] = format_phone
