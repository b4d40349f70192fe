"""The embedded database under a small office's concurrent writes: WAL and a busy timeout,
so that nobody sees "database is locked"."""

import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from crm.auth import services
from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.extensions import db
from tests import sqlite_writers
from tests.conftest import PASSWORD

WRITERS, EACH = 3, 10


@pytest.fixture
def sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    app = sqlite_writers.app_for(url)
    with app.app_context():
        upgrade()
        services.create_user("staff@example.org", "Staff", Role.FUNDRAISER, PASSWORD)
        db.session.commit()
    yield app, url, tmp_path / "office.sqlite3"
    with app.app_context():
        db.engine.dispose()


def test_the_embedded_database_uses_wal_and_waits_for_locks(sqlite_file):
    app, _, path = sqlite_file
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    with sqlite3.connect(path) as raw:  # WAL is a property of the file, for every process
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_concurrent_staff_writes_never_see_a_locked_database(sqlite_file):
    app, url, _ = sqlite_file
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WRITERS + 1, mp_context=spawn) as pool:
        reader = pool.submit(sqlite_writers.read_exports, url, "staff@example.org", PASSWORD, 2)
        writers = [
            pool.submit(sqlite_writers.write_contacts, url, "staff@example.org", PASSWORD, w, EACH)
            for w in range(WRITERS)
        ]
        statuses = [s for w in writers for s in w.result(timeout=300)]
        exports = reader.result(timeout=300)
    assert statuses == [302] * (WRITERS * EACH)
    assert exports and set(exports) == {200}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contact)) == WRITERS * EACH
