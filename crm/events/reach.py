"""Headcount-only attendance and people reached: the figures the dashboard reports.

People reached by an event = registrants who attended + the guests they brought + the
headcounts by audience. Registrants have no audience of their own (adults who signed up),
so in the by-audience figures they are reported as "registrants"."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from crm.events.models import Audience, Event, Headcount, Registration, RegistrationStatus
from crm.extensions import db

REGISTRANTS = "registrants"


def set_headcounts(event: Event, counts: dict[Audience, int]) -> None:
    """Replace the event's headcounts; a zero removes the audience's count."""
    if any(n is not None and n < 0 for n in counts.values()):
        raise ValueError("A headcount cannot be negative.")
    existing = {h.audience: h for h in event.headcounts}
    for audience, n in counts.items():
        row = existing.get(audience)
        if not n:
            if row is not None:
                event.headcounts.remove(row)
        elif row is None:
            event.headcounts.append(Headcount(audience=audience, count=n))
        else:
            row.count = n
    db.session.flush()


@dataclass
class Reach:
    total: int = 0
    by_month: Counter = field(default_factory=Counter)  # "2026-03" (org time zone)
    by_event_type: Counter = field(default_factory=Counter)  # event type name
    by_audience: Counter = field(default_factory=Counter)  # Audience value or "registrants"
    by_campaign: Counter = field(default_factory=Counter)  # campaign id; None: no campaign

    def add(self, event: Event, audience: str, n: int, zone: ZoneInfo) -> None:
        if not n:
            return
        self.total += n
        self.by_month[event.starts_at.astimezone(zone).strftime("%Y-%m")] += n
        self.by_event_type[event.type.name] += n
        self.by_audience[audience] += n
        self.by_campaign[event.campaign_id] += n


def people_reached(
    start: datetime | None = None, end: datetime | None = None, event_ids: list[int] | None = None
) -> Reach:
    """People reached by the events starting in [start, end), broken down four ways."""
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    events = select(Event)
    if start is not None:
        events = events.where(Event.starts_at >= start)
    if end is not None:
        events = events.where(Event.starts_at < end)
    if event_ids is not None:
        events = events.where(Event.id.in_(event_ids))
    reach = Reach()
    for event in db.session.scalars(events):
        reach.add(event, REGISTRANTS, attended_people(event), zone)
        for headcount in event.headcounts:
            reach.add(event, headcount.audience.value, headcount.count, zone)
    return reach


def attended_people(event: Event) -> int:
    rows = db.session.execute(
        select(Registration.guests_attended).where(
            Registration.event_id == event.id, Registration.attended_at.is_not(None)
        )
    ).all()
    return sum(1 + guests for (guests,) in rows)


def reach_of(event_ids: list[int]) -> dict[int, int]:
    """People reached by each event (`event_reach`), in two queries for any number."""
    if not event_ids:
        return {}
    reached = Counter()
    for event_id, guests in db.session.execute(
        select(Registration.event_id, Registration.guests_attended).where(
            Registration.event_id.in_(event_ids), Registration.attended_at.is_not(None)
        )
    ):
        reached[event_id] += 1 + guests
    for event_id, count in db.session.execute(
        select(Headcount.event_id, Headcount.count).where(Headcount.event_id.in_(event_ids))
    ):
        reached[event_id] += count
    return reached


def event_reach(event: Event) -> int:
    return attended_people(event) + sum(h.count for h in event.headcounts)


@dataclass(frozen=True)
class Outcome:
    """What a finished event achieved, from its registrations and headcounts (the same
    figures as `event_reach`, broken down)."""

    attended: int  # registrants who came (walk-ins included)
    guests: int  # the guests they brought
    no_shows: int  # confirmed registrants who did not come
    headcounts: list[tuple[str, int]]  # (audience label, people counted)

    @property
    def reached(self) -> int:
        return self.attended + self.guests + sum(n for _, n in self.headcounts)


def outcome(event: Event) -> Outcome:
    came = [r for r in event.registrations if r.attended_at is not None]
    return Outcome(
        attended=len(came),
        guests=sum(r.guests_attended for r in came),
        no_shows=sum(
            1
            for r in event.registrations
            if r.status == RegistrationStatus.CONFIRMED and r.attended_at is None
        ),
        headcounts=[
            (h.audience.label, h.count)
            for h in sorted(event.headcounts, key=lambda h: list(Audience).index(h.audience))
        ],
    )
