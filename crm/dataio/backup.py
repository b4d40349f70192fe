"""Backups of the database and their verification: SQLite through its online backup API,
PostgreSQL through pg_dump's custom format. Verifying restores the file into a scratch
database (a temporary file, or a temporary PostgreSQL database) and reads every table."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, make_url, text


class BackupError(RuntimeError):
    """The backup or its verification failed; the message says why."""


@dataclass
class Verification:
    kind: str
    revision: str | None
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def _pg_env(url) -> tuple[list[str], dict]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432)]
    if url.username:
        args += ["-U", url.username]
    return args, env


def backup(database_url: str, folder: str) -> Path:
    url = make_url(database_url)
    Path(folder).mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("An in-memory database cannot be backed up.")
        target = Path(folder) / f"crm-{stamp}.sqlite3"
        source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # a consistent copy, even while the CRM is writing
        finally:
            copy.close()
            source.close()
        return target
    target = Path(folder) / f"crm-{stamp}.pgdump"
    args, env = _pg_env(url)
    _run(
        ["pg_dump", "-Fc", "--no-owner", "--no-privileges", *args, "-f", str(target), url.database],
        env,
    )
    return target


def _run(command: list[str], env: dict | None = None) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed.")
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def verify(path: str, database_url: str) -> Verification:
    with open(path, "rb") as f:
        magic = f.read(16)
    if magic.startswith(b"SQLite format 3"):
        return _verify_sqlite(path)
    if magic.startswith(b"PGDMP"):
        return _verify_postgres(path, database_url)
    raise BackupError("This is neither a SQLite database nor a pg_dump custom-format file.")


def _read(engine, kind: str) -> Verification:
    with engine.connect() as conn:
        tables = sorted(inspect(conn).get_table_names())
        if "alembic_version" not in tables:
            raise BackupError("The backup has no alembic_version table: it is not a CRM database.")
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    return Verification(kind, revision, counts)


def _verify_sqlite(path: str) -> Verification:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "restore.sqlite3"
        shutil.copyfile(path, copy)  # restoring a SQLite backup is copying it into place
        conn = sqlite3.connect(copy)
        try:
            status = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"The SQLite file is damaged: {exc}") from exc
        finally:
            conn.close()
        if status != "ok":
            raise BackupError(f"The SQLite file is damaged: {status}")
        engine = create_engine(f"sqlite:///{copy}")
        try:
            return _read(engine, "sqlite")
        finally:
            engine.dispose()


def _verify_postgres(path: str, database_url: str) -> Verification:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise BackupError(
            "A PostgreSQL backup is verified on a PostgreSQL server: set DATABASE_URL."
        )
    name = f"crm_verify_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        args, env = _pg_env(url)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                *args,
                "-d",
                name,
                path,
            ],
            env,
        )
        engine = create_engine(url.set(database=name))
        try:
            return _read(engine, "postgresql")
        finally:
            engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
