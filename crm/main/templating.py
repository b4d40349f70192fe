"""Template helpers: the role-aware navigation and display filters."""

from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from config import org_fact
from crm import formats
from crm.auth.roles import Role
from crm.contacts.normalise import format_phone
from crm.payments.money import format_money

STAFF = (Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR)

# (label, endpoint, roles that see it, endpoints of its section: exact names or "prefix*")
NAVIGATION = [
    # volunteers' home is their portal; staff's tasks are on their home page
    ("Home", "main.home", STAFF, ("main.*", "work.*")),
    ("Dashboard", "dashboard.index", STAFF, ("dashboard.*",)),
    ("Contacts", "contacts.index", STAFF,
     ("contacts.index", "contacts.show", "contacts.create", "contacts.edit", "contacts.merge",
      "contacts.*household*")),
    ("Organisations", "contacts.organisations", STAFF, ("contacts.*organisation*",)),
    ("Gifts", "donations.index", (Role.ADMIN, Role.FUNDRAISER),
     ("donations.index", "donations.show", "donations.*plan*", "donations.*campaign*",
      "donations.*fund*", "donations.*appeal*", "donations.record_gift", "donations.*pledge*",
      "donations.*thank*", "donations.attention*", "donations.payout*")),
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
    ("Outreach", "outreach.mailings_index", STAFF,
     ("outreach.mailing*", "outreach.*segment*", "outreach.*_mailing", "outreach.preview*")),
    ("My volunteering", "volunteers.portal", (Role.VOLUNTEER,),
     ("volunteers.portal", "volunteers.sign_up", "volunteers.cancel", "volunteers.my_*",
      "volunteers.calendar_link")),
]  # fmt: skip

# Administration pages, gathered under one "Admin" menu to keep the bar short.
ADMIN_NAVIGATION = [
    ("Users", "auth.users", (Role.ADMIN,), ("auth.users", "auth.edit_user", "auth.invite")),
    ("Audit log", "audit.index", (Role.ADMIN,), ("audit.*",)),
    ("Outbox", "mail.index", (Role.ADMIN,), ("mail.*",)),
    ("Email settings", "outreach.email_settings", (Role.ADMIN,), ("outreach.email_settings",)),
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


def localtime(value: datetime | None, fmt: str | None = None) -> str:
    """The moment in the organisation's time zone: the one date-and-time format
    (`formats.format_datetime`), or a strftime pattern for machine formats."""
    if value is None:
        return ""
    if fmt is None:
        return formats.format_datetime(value)
    return value.astimezone(ZoneInfo(current_app.config["ORG_TIMEZONE"])).strftime(fmt)


def money(minor_units: int | None, currency: str | None = None) -> str:
    if minor_units is None:
        return ""
    return format_money(
        minor_units, currency or current_app.config["CURRENCY"], locale=formats.locale()
    )


def register(app: Flask) -> None:
    formats.check_locale(app.config["LOCALE"])
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["admin_nav_items"] = admin_nav_items
    app.jinja_env.globals["timezone_name"] = formats.timezone_name
    app.jinja_env.globals["org_fact"] = lambda name: org_fact(current_app.config, name)
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["date"] = formats.format_date
    app.jinja_env.filters["time"] = formats.format_time
    app.jinja_env.filters["datetime"] = formats.format_datetime
    app.jinja_env.filters["month"] = formats.format_month
    app.jinja_env.filters["duration"] = formats.format_duration
    app.jinja_env.filters["number"] = formats.format_number
    app.jinja_env.filters["plural"] = formats.plural
