"""Shared fixtures: the app on each database engine, a real SMTP server, clients and factories.

Every test that uses `app` (directly or through `client`, `db`, a factory...) runs twice:
once on SQLite and once on PostgreSQL. In CI (CI=true) nothing may be skipped.
"""

import hashlib
import mailbox
import os
import shutil
import tempfile
import uuid
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

_INSTANCE = tempfile.mkdtemp(prefix="crm-test-instance-")
os.environ["CRM_INSTANCE_PATH"] = _INSTANCE

from flask import has_app_context  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from itsdangerous import URLSafeTimedSerializer  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from config import TestingConfig  # noqa: E402
from crm import create_app  # noqa: E402
from crm.extensions import db as _db  # noqa: E402
from crm.extensions import limiter  # noqa: E402
from tests.servers import start_smtp_server  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "correct horse battery staple"


def unavailable(reason: str):
    """Skip on a developer's machine; fail in CI, where everything must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must run every test)", pytrace=False)
    pytest.skip(reason)


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        metavar="WHEN",
        help="run the whole session at this moment (ISO 8601, e.g. 2027-12-31T23:30:00-05:00), "
        "the clock ticking on from there; meant for tests marked `clock` (-m clock)",
    )


def pytest_configure(config):
    """`--clock`: move this process's clock (time-machine) before any fixture reads it, so
    the app, its database rows and the tests all see the same awkward day. Servers that run
    in other processes (browser journeys, localstripe) keep the real time: those tests are
    not marked `clock`."""
    when = config.getoption("--clock")
    if when:
        import time_machine

        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise pytest.UsageError("--clock needs a UTC offset, e.g. 2027-01-01T00:30:00-05:00")
        traveller = time_machine.travel(moment, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_report_header(config):
    when = config.getoption("--clock")
    return f"clock: {when} (time-machine)" if when else None


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped:
        reporter.write_line(f"CI: {skipped} test(s) were skipped; failing the run.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Still argon2id, with the cheapest parameters: full-strength hashing would spend most
    of the suite's time on staff passwords. test_passwords checks the real parameters."""
    from argon2 import PasswordHasher

    from crm.auth import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("timing"))  # unknown emails


# --- databases --------------------------------------------------------------------------


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request):
    if request.param == "sqlite":
        folder = tempfile.mkdtemp(prefix="crm-test-sqlite-")
        yield f"sqlite:///{folder}/crm.sqlite3"
        shutil.rmtree(folder, ignore_errors=True)
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        unavailable(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
    name = f"crm_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def smtp_server():
    # Not under pytest's tmp_path: another pytest run on the machine may rotate that away.
    maildir = Path(tempfile.mkdtemp(prefix="crm-test-mail-")) / "maildir"  # created by the server
    server = start_smtp_server(maildir)
    yield server, maildir
    server.stop()
    shutil.rmtree(maildir.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def app(database_url, smtp_server):
    server, _ = smtp_server

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        MAIL_SERVER = "127.0.0.1"
        MAIL_PORT = server.port

    application = create_app(Config)
    application.test_client_class = CRMClient
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield application
    with application.app_context():
        _db.engine.dispose()


def _wipe(app) -> None:
    with app.app_context():
        _db.session.remove()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def db(app):
    """An app context with an empty database; everything written is wiped afterwards."""
    with app.app_context():
        yield _db
    _wipe(app)
    with app.app_context():
        limiter.reset()


@pytest.fixture
def client(app, db) -> "CRMClient":
    return app.test_client()


@pytest.fixture
def runner(app, db):
    return app.test_cli_runner()


# --- mail ----------------------------------------------------------------------------------


class Mailbox:
    """The messages the test SMTP server accepted, parsed."""

    def __init__(self, path: Path):
        self.box = mailbox.Maildir(path, create=True)

    def clear(self) -> None:
        self.box.clear()

    @property
    def messages(self):
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(bytes(m)) for m in self.box]

    def to(self, address: str):
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def mail(smtp_server) -> Mailbox:
    box = Mailbox(smtp_server[1])
    box.clear()
    yield box
    box.clear()


# --- clients and factories ----------------------------------------------------------------


class CRMClient(FlaskClient):
    """A test client that can sign in and send forms with a valid CSRF token."""

    def open(self, *args, **kwargs):
        # Each request gets an app context of its own, as it would in a server: without this it
        # would share `g` and the database session with the test's context.
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            _db.session.expire_all()  # let the test see what the request committed
        return response

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            if "csrf_token" not in sess:
                sess["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
            raw = sess["csrf_token"]
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def form(self, url: str, data: dict | None = None, **kwargs):
        """POST a form the way a browser would, CSRF token included."""
        payload = {"csrf_token": self.csrf_token(), **(data or {})}
        return self.post(url, data=payload, **kwargs)

    def login_as(self, user) -> None:
        """Start a real server-side session for `user` without the sign-in form (fast)."""
        from crm.auth import services
        from crm.auth.models import User

        with self.application.app_context():  # a session of its own: load the user afresh
            token = services.start_session(_db.session.get(User, user.id), "127.0.0.1", "pytest")
            _db.session.commit()
        with self.session_transaction() as sess:
            sess["sid"] = token
            sess["_user_id"] = str(user.id)
            sess["_fresh"] = True

    def login(self, user, password: str = PASSWORD):
        response = self.form("/auth/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.text
        return response


@pytest.fixture
def make_user(db):
    from crm.auth import services
    from crm.auth.roles import Role

    counter = iter(range(1, 10_000))

    def factory(role=Role.ADMIN, email=None, name=None, password=PASSWORD, **fields):
        n = next(counter)
        user = services.create_user(
            email or f"{Role(role).value}{n}@example.org",
            name or f"Test {role} {n}",
            Role(role),
            password,
        )
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_contact(db):
    from crm.contacts import services

    counter = iter(range(1, 10_000))

    def factory(tags=None, **fields):
        n = next(counter)
        data = {"first_name": f"First{n}", "last_name": f"Last{n}", **fields}
        contact = services.create_contact(data, tags)
        db.session.commit()
        return contact

    return factory


@pytest.fixture
def make_organisation(db):
    from crm.contacts import services
    from crm.contacts.models import OrganisationType

    def factory(name="Lincoln High School", type=OrganisationType.SCHOOL, **fields):
        organisation = services.create_organisation({"name": name, "type": type, **fields})
        db.session.commit()
        return organisation

    return factory


@pytest.fixture
def signed_in(client, make_user):
    """A client signed in with the given role: `signed_in("fundraiser")` -> (client, user)."""

    def sign_in(role="admin", **fields):
        user = make_user(role, **fields)
        client.login(user)
        return client, user

    return sign_in
