"""Column types and mixins shared by every domain's models."""

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, Index, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def postgresql_index(name: str, *columns, **options) -> Index:
    """An index only PostgreSQL has (trigram, pattern-ops): SQLite neither creates it nor
    expects it when models and migrations are compared (`include_object`)."""
    return Index(name, *columns, info={"only_on": "postgresql"}, **options).ddl_if(
        dialect="postgresql"
    )


def include_object(dialect_name: str):
    """Alembic's filter for comparing models with a database of `dialect_name`."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        only_on = obj.info.get("only_on") if type_ == "index" and not reflected else None
        return only_on in (None, dialect_name)

    return include


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def enum_column(enum_class: type[enum.Enum]) -> Enum:
    """A portable enum column storing the members' values ('admin', not 'ADMIN')."""
    return Enum(
        enum_class,
        native_enum=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
