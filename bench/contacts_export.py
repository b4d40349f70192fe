"""The contacts CSV export through its real route, on PostgreSQL and SQLite.

For each engine and each size it makes a fresh database, migrates it and loads contacts in
bulk (names, emails, phones, addresses; about half with one or two tags and a fifth linked
to an organisation), then, in a process of its own, signs in as a fundraiser and downloads
/contacts/export.csv with the test client, reading the streamed body piece by piece. Prints
the total time, the time to the first byte, rows per second and the process's peak memory
(and its peak before the request: the application's own footprint); the larger size shows
whether memory stays flat as the export grows.

    python -m bench.contacts_export [--rows 100000] [--memory-rows 300000]
                                    [--engines postgresql,sqlite]
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BENCH_POSTGRES_ADMIN_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")  # fmt: skip
GOAL_SECONDS = 10
FIRST = ["José", "Zoë", "Ann", "Mohammed", "Siobhán", "Li", "Ngozi", "Renée", "Priya", "Mateo"]
LAST = ["Núñez", "O'Brien", "Lee", "Khan", "Müller", "Okafor", "García", "Dupré", "Rossi"]
TAGS = ["donor", "monthly", "parent", "educator", "volunteer", "employer", "partner", "major"]


def _app(db_url: str, instance: str):
    os.environ.update(CRM_INSTANCE_PATH=instance, DATABASE_URL=db_url)
    from config import TestingConfig
    from crm import create_app

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = db_url
        TESTING = False

    return create_app(Config)


def load(db_url: str, rows: int, instance: str) -> None:
    """Migrate, and load `rows` contacts with their tags and organisations in bulk."""
    from flask_migrate import upgrade

    from crm.contacts.models import Affiliation, Contact, Organisation, Tag, contact_tags
    from crm.dashboard.store import bulk_load
    from crm.extensions import db

    rng = random.Random(11)
    app = _app(db_url, instance)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        conn = db.session.connection()
        now = datetime.now(UTC)
        bulk_load(conn, Tag.__table__, ({"id": i + 1, "name": n} for i, n in enumerate(TAGS)))
        bulk_load(conn, Organisation.__table__, (
            {"id": i, "name": f"School {i}", "name_key": f"school {i}", "type": "school",
             "created_at": now, "updated_at": now} for i in range(1, 51)
        ))  # fmt: skip
        bulk_load(conn, Contact.__table__, _contacts(rows, now, rng))
        bulk_load(conn, contact_tags, (
            {"contact_id": n, "tag_id": t}
            for n in range(1, rows + 1) if n % 2
            for t in sorted({n % len(TAGS) + 1, (n * 7) % len(TAGS) + 1})
        ))  # fmt: skip
        bulk_load(conn, Affiliation.__table__, (
            {"contact_id": n, "organisation_id": n % 50 + 1, "role": "Teacher"}
            for n in range(1, rows + 1) if n % 5 == 0
        ))  # fmt: skip
        settle(db, ("tags", "organisations", "contacts", "affiliations"))


def settle(db, tables: tuple[str, ...]) -> None:
    """After a bulk load: sequences past the loaded ids (PostgreSQL), commit, ANALYZE."""
    from sqlalchemy import text

    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))  # fmt: skip
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    db.engine.dispose()


def _contacts(rows: int, now: datetime, rng: random.Random):
    for n in range(1, rows + 1):
        first, last = FIRST[n % len(FIRST)], LAST[(n // 10) % len(LAST)]
        email = f"{first[0].lower()}.{n}@example.org"
        created = now - timedelta(seconds=rng.randrange(3 * 365 * 86400))
        yield {"id": n, "first_name": first, "last_name": f"{last}{n % 997}", "email": email,
               "email_key": email, "phone": f"+1312{2000000 + n:07d}",
               "address_line1": f"{n % 999 + 1} Elm St", "city": "Chicago", "region": "IL",
               "postcode": f"{60600 + n % 99}", "postcode_key": f"{60600 + n % 99}",
               "country": "US", "search_key": f"{first} {last} {email}".lower(),
               "email_opt_in": n % 3 == 0, "do_not_contact": n % 50 == 0,
               "created_at": created, "updated_at": created}  # fmt: skip


def export(db_url: str, instance: str, path: str = "/contacts/export.csv") -> None:
    """Download an export once through its route; print its figures (and the SQL statements
    it ran) as JSON."""
    from sqlalchemy import event

    from crm.auth import services as accounts
    from crm.auth.roles import Role
    from crm.extensions import db

    app = _app(db_url, instance)
    with app.app_context():
        # one user per download: a database may serve several
        user = accounts.create_user(f"bench-{uuid.uuid4().hex[:8]}@example.org", "Bench",
                                    Role.FUNDRAISER, "bench-password-1")  # fmt: skip
        token = accounts.start_session(user, "127.0.0.1", "bench")
        db.session.commit()
        user_id = user.id
    client = app.test_client()
    with client.session_transaction() as sess:
        sess.update({"sid": token, "_user_id": str(user_id), "_fresh": True})
    statements = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(1))
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get(path, buffered=False)
    assert response.status_code == 200 and response.is_streamed
    pieces = iter(response.response)
    first = next(pieces)
    first_byte = time.perf_counter() - started
    size, lines = len(first), first.count(b"\n")
    for piece in pieces:
        size, lines = size + len(piece), lines + piece.count(b"\n")
    seconds = time.perf_counter() - started
    response.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "first_byte": first_byte, "rows": lines - 1,
                      "mib": size / 2**20, "peak_mib": peak_kib / 1024,
                      "before_mib": before_kib / 1024,
                      "statements": len(statements)}))  # fmt: skip
    with app.app_context():
        db.engine.dispose()


def _child(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "bench.contacts_export", *args], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout  # fmt: skip


class Database:
    """A fresh database of one engine, removed afterwards."""

    def __init__(self, engine: str, folder: str):
        self.engine = engine
        if engine == "sqlite":
            self.url = f"sqlite:///{folder}/crm-{uuid.uuid4().hex[:8]}.db"
            return
        from sqlalchemy import create_engine, text

        self.text = text
        self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.name = f"crm_bench_export_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = ADMIN_URL.rsplit("/", 1)[0] + "/" + self.name

    def drop(self) -> None:
        if self.engine == "sqlite":
            Path(self.url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            return
        with self.admin.connect() as conn:
            conn.execute(self.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def measure(engine: str, rows: int, folder: str) -> dict:
    database = Database(engine, folder)
    instance = str(Path(folder) / "instance")
    try:
        started = time.perf_counter()
        _child("--load", database.url, str(rows), instance)
        print(f"  {engine}: loaded {rows:,} contacts in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)  # fmt: skip
        result = json.loads(_child("--export", database.url, instance).strip().splitlines()[-1])
        assert result["rows"] == rows, result
        return result
    finally:
        database.drop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--memory-rows", type=int, default=300_000,
        help="the larger export for the memory comparison (0 skips it)",
    )  # fmt: skip
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--load", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--export", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        load(args.load[0], int(args.load[1]), args.load[2])
        return 0
    if args.export:
        export(*args.export)
        return 0
    sizes = [args.rows] + ([args.memory_rows] if args.memory_rows else [])
    print("Contacts CSV export through /contacts/export.csv (streamed, as a fundraiser):")
    print(f"{'engine':<12}{'rows':>9}{'total s':>9}{'first byte ms':>15}{'rows/s':>10}"
          f"{'MiB out':>9}{'peak MiB':>10}{'before MiB':>12}")  # fmt: skip
    met = True
    with tempfile.TemporaryDirectory(prefix="crm-bench-export-") as folder:
        for engine in args.engines.split(","):
            peaks = []
            for rows in sizes:
                r = measure(engine, rows, folder)
                peaks.append(r["peak_mib"])
                met = met and (rows != args.rows or r["seconds"] < GOAL_SECONDS)
                print(
                    f"{engine:<12}{rows:>9,}{r['seconds']:>9.1f}{r['first_byte'] * 1000:>15.0f}"
                    f"{rows / r['seconds']:>10,.0f}{r['mib']:>9.1f}{r['peak_mib']:>10.0f}"
                    f"{r['before_mib']:>12.0f}"
                )
            if len(peaks) > 1:
                print(f"{'':<12}peak memory at {sizes[1]:,} rows: {peaks[1] / peaks[0]:.2f} × "
                      f"that at {sizes[0]:,} (goal ≤ 1.2)")  # fmt: skip
    print(f"goal: {args.rows:,} rows in under {GOAL_SECONDS} s: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
