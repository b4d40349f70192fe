"""Factories for the events tests."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm.events import services as events
from crm.modelbase import utcnow


@pytest.fixture
def make_event_type(db):
    counter = iter(range(1, 10_000))

    def factory(name=None, default_minutes=60):
        event_type = events.create_event_type(
            name or f"Type {next(counter)}", None, default_minutes
        )
        db.session.commit()
        return event_type

    return factory


@pytest.fixture
def make_event(db, make_event_type):
    def factory(capacity=None, days=10, hours=1, event_type=None, **fields):
        start = fields.pop("starts_at", utcnow() + timedelta(days=days))
        data = {
            "title": fields.pop("title", "Protecting Children from Sex Trafficking"),
            "type_id": (event_type or make_event_type()).id,
            "starts_at": start,
            "ends_at": fields.pop("ends_at", start + timedelta(hours=hours)),
            "capacity": capacity,
            "is_public": fields.pop("is_public", True),
            "venue": fields.pop("venue", "Lincoln High School\n1 School Rd, Springfield"),
            **fields,
        }
        event = events.create_event(data)
        db.session.commit()
        return event

    return factory


@pytest.fixture
def register(db):
    """Register someone through the service and commit: register(event, "ada", guests=1)."""

    def do(event, name="ada", guests=0, email=None):
        registration, token = events.register(
            event.id,
            events.Registrant(name.capitalize(), "Tester", email or f"{name}@example.org",
                              guests=guests),
        )  # fmt: skip
        db.session.commit()
        return registration, token

    return do


@pytest.fixture
def count(db):
    """Committed rows of a model, read on a connection of its own."""

    def counter(model) -> int:
        with db.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(model.__table__))

    return counter
