import pytest
from sqlalchemy import func, select


@pytest.fixture
def count(db):
    """Committed rows of a model or table, read on a connection of its own so that
    nothing left pending in the session can be mistaken for a write."""

    def counter(model) -> int:
        table = getattr(model, "__table__", model)
        with db.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(table))

    return counter


@pytest.fixture
def staff(signed_in):
    """A client signed in as a fundraiser, the everyday user of the contacts pages."""
    client, _ = signed_in("fundraiser")
    return client
