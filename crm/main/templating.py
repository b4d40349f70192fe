"""Template helpers: the role-aware navigation and display filters."""

from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from crm.auth.roles import Role
from crm.contacts.normalise import format_phone
from crm.payments.money import format_money

STAFF = (Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR)

# (label, endpoint, roles that see it, endpoints of its section: exact names or "prefix*")
NAVIGATION = [
    ("Home", "main.home", STAFF, ("main.*",)),  # volunteers' home is their portal
    ("Dashboard", "dashboard.index", STAFF, ("dashboard.*",)),
    ("Contacts", "contacts.index", STAFF,
     ("contacts.index", "contacts.show", "contacts.create", "contacts.edit", "contacts.merge")),
    ("Organisations", "contacts.organisations", STAFF, ("contacts.*organisation*",)),
    ("Gifts", "donations.index", (Role.ADMIN, Role.FUNDRAISER),
     ("donations.index", "donations.show", "donations.*plan*", "donations.*campaign*",
      "donations.*fund*", "donations.*appeal*", "donations.record_gift",
      "donations.attention*", "donations.payout*")),
    ("Events", "events.manage_index", (Role.ADMIN, Role.COORDINATOR),
     ("events.manage_*", "events.create_event", "events.edit_event", "events.check_in",
      "events.event_types")),
    ("Trainings", "events.training_queue", (Role.ADMIN, Role.COORDINATOR),
     ("events.training_*",)),
    ("Volunteers", "volunteers.index", (Role.ADMIN, Role.COORDINATOR),
     ("volunteers.index", "volunteers.volunteer", "volunteers.*application*",
      "volunteers.*shift*", "volunteers.assign", "volunteers.staff_cancel", "volunteers.kiosk*",
      "volunteers.*hours*", "volunteers.credential*", "volunteers.add_default_types",
      "volunteers.set_validity")),
    ("My volunteering", "volunteers.portal", (Role.VOLUNTEER,),
     ("volunteers.portal", "volunteers.sign_up", "volunteers.cancel", "volunteers.my_*",
      "volunteers.calendar_link")),
]  # fmt: skip

# Administration pages, gathered under one "Admin" menu to keep the bar short.
ADMIN_NAVIGATION = [
    ("Users", "auth.users", (Role.ADMIN,), ("auth.users", "auth.edit_user", "auth.invite")),
    ("Audit log", "audit.index", (Role.ADMIN,), ("audit.*",)),
    ("Outbox", "mail.index", (Role.ADMIN,), ("mail.*",)),
    ("Imports", "dataio.imports", (Role.ADMIN, Role.FUNDRAISER),
     ("dataio.imports", "dataio.mapping", "dataio.batch")),
    ("Duplicates", "dataio.duplicate_queue", STAFF, ("dataio.*duplicate*",)),
]  # fmt: skip


@dataclass
class NavItem:
    label: str
    url: str
    active: bool


def nav_items(entries=None) -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    endpoint = request.endpoint or ""
    return [
        NavItem(label, url_for(target), any(fnmatchcase(endpoint, p) for p in section))
        for label, target, roles, section in (NAVIGATION if entries is None else entries)
        if current_user.role in roles
    ]


def admin_nav_items() -> list[NavItem]:
    return nav_items(ADMIN_NAVIGATION)


def localtime(value: datetime | None, fmt: str = "%-d %b %Y, %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["ORG_TIMEZONE"])).strftime(fmt)


def money(minor_units: int | None, currency: str | None = None) -> str:
    if minor_units is None:
        return ""
    return format_money(minor_units, currency or current_app.config["CURRENCY"])


def register(app: Flask) -> None:
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["admin_nav_items"] = admin_nav_items
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.filters["money"] = money
