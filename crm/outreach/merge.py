"""Merge fields: `{{ first_name }}`, or with a fallback for people it is empty for,
`{{ first_name | friend }}`. Fields are checked before anything is sent; their values are
read in bulk, a few queries for a whole batch of recipients."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from crm.contacts.models import Contact
from crm.donations.models import Donation
from crm.donations.queries import org_day_start
from crm.events.models import Event, Registration, RegistrationStatus
from crm.extensions import db
from crm.modelbase import utcnow
from crm.outreach.condition_kinds import GIVING
from crm.payments.money import format_money

TAG = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*([^{}]*?)\s*)?\}\}")


@dataclass(frozen=True)
class Field:
    label: str
    example: str
    money: bool = False


FIELDS = {
    "first_name": Field("First name (the preferred name when there is one)", "María"),
    "last_name": Field("Last name", "Núñez"),
    "full_name": Field("Full name", "María Núñez"),
    "email": Field("Email address", "maria@example.com"),
    "next_event": Field("The next event they registered for", "Parent night on 12 May"),
    "last_gift": Field("Their last gift", "$50.00 on 3 March 2026", money=True),
    "total_this_year": Field("What they gave this calendar year", "$250.00", money=True),
}


class MergeError(ValueError):
    """A broken or unknown merge field; the message says where and what to write instead."""


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def check(text: str, where: str, money_allowed: bool) -> list[tuple[str, str]]:
    """The (field, fallback) pairs of a text; raises MergeError for the first problem."""
    found = []
    for match in TAG.finditer(text):
        name, fallback = match.group(1), (match.group(2) or "").strip().strip("\"'")
        line = _line(text, match.start())
        if name not in FIELDS:
            known = ", ".join(FIELDS)
            raise MergeError(f"{where}, line {line}: there is no merge field “{name}”. "
                             f"Known fields: {known}.")  # fmt: skip
        if FIELDS[name].money and not money_allowed:
            raise MergeError(f"{where}, line {line}: “{name}” is about giving; your role "
                             "cannot use it.")  # fmt: skip
        if len(fallback) > 100:
            raise MergeError(f"{where}, line {line}: the fallback of “{name}” is too long.")
        found.append((name, fallback))
    rest = TAG.sub("", text)
    for marker in ("{{", "}}"):
        if marker in rest:
            line = _line(rest, rest.index(marker))
            raise MergeError(
                f"{where}, line {line}: a merge field is not written right. "
                "Write it like {{ first_name }} or {{ first_name | friend }}."
            )
    return found


# --- values ----------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ORG_TIMEZONE"])


def _day(moment: datetime) -> str:
    local = moment.astimezone(_zone())
    return f"{local.day} {local:%B %Y}"


def values(contact_ids: list[int], fields: set[str], session=None) -> dict[int, dict[str, str]]:
    """{contact id: {field: text}} for the fields a mailing uses."""
    session = session or db.session
    result = {cid: {} for cid in contact_ids}
    if not contact_ids:
        return result
    rows = session.execute(
        select(Contact.id, Contact.first_name, Contact.preferred_name, Contact.last_name,
               Contact.email).where(Contact.id.in_(contact_ids))
    )  # fmt: skip
    for cid, first, preferred, last, email in rows:
        result[cid] |= {"first_name": preferred or first, "last_name": last, "email": email or "",
                        "full_name": f"{first} {last}".strip()}  # fmt: skip
    if "last_gift" in fields:
        for cid, cents, currency, received in _last_gifts(session, contact_ids):
            result[cid]["last_gift"] = f"{format_money(cents, currency)} on {_day(received)}"
    if "total_this_year" in fields:
        for cid, cents, currency in _this_year(session, contact_ids):
            result[cid]["total_this_year"] = format_money(cents, currency)
    if "next_event" in fields:
        for cid, title, starts in _next_events(session, contact_ids):
            result[cid]["next_event"] = f"{title} on {_day(starts)}"
    return result


def _first_of_each(session, query, partition, order):
    ranked = query.add_columns(
        func.row_number().over(partition_by=partition, order_by=order).label("n")
    ).subquery()
    return session.execute(select(*list(ranked.c)[:-1]).where(ranked.c.n == 1))


def _last_gifts(session, ids):
    query = select(Donation.contact_id, Donation.amount_cents, Donation.currency,
                   Donation.received_at).where(Donation.contact_id.in_(ids),
                                               Donation.status.in_(GIVING))  # fmt: skip
    order = (Donation.received_at.desc(), Donation.id.desc())
    return _first_of_each(session, query, Donation.contact_id, order)


def _this_year(session, ids):
    start = org_day_start(date(datetime.now(_zone()).year, 1, 1))
    return session.execute(
        select(Donation.contact_id, func.sum(Donation.amount_cents - Donation.refunded_cents),
               func.min(Donation.currency))
        .where(Donation.contact_id.in_(ids), Donation.status.in_(GIVING),
               Donation.received_at >= start)
        .group_by(Donation.contact_id)
    )  # fmt: skip


def _next_events(session, ids):
    query = (
        select(Registration.contact_id, Event.title, Event.starts_at)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.contact_id.in_(ids),
               Registration.status == RegistrationStatus.CONFIRMED,
               Event.starts_at > utcnow(), Event.cancelled_at.is_(None))
    )  # fmt: skip
    return _first_of_each(session, query, Registration.contact_id, (Event.starts_at, Event.id))
