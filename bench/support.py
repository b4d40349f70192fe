"""What the benchmarks that compare two scales share: their options, a scratch PostgreSQL
database (created, yielded by URL, dropped) and a client signed in with a session token."""

import argparse
import os
import sys
import time
import uuid
from contextlib import contextmanager

from sqlalchemy import create_engine, text

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database(prefix: str):
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def scales_args(doc: str, argv, repeat: int, what: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--small", type=float, default=0.01, help="scale of the small history")
    parser.add_argument("--large", type=float, default=1.0, help="scale of the large history")
    parser.add_argument("--repeat", type=int, default=repeat, help=f"timed requests per {what}")
    return parser.parse_args(argv)


def signed_in_client(app, token: str, user_id: int):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess.update({"sid": token, "_user_id": str(user_id), "_fresh": True})
    return client


def generated_app(url: str, scale: float):
    """The CRM on a migrated database holding a generated history of this scale (committed)."""
    from flask_migrate import upgrade

    from config import TestingConfig
    from crm import create_app
    from crm.dashboard.generate import generate
    from crm.extensions import db

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        TESTING = False

    app = create_app(Config)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        counts = generate(scale, echo=lambda line: print(line, file=sys.stderr))
        db.session.commit()
        print(f"scale {scale}: generated {counts} in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)  # fmt: skip
    return app
