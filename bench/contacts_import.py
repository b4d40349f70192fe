"""Contact import against PostgreSQL COPY.

Generates a contact CSV (names with accents, emails, phones, addresses; about 2 % of the
people repeated with other capitalisation and 1 % invalid emails), imports it with the CRM's
import (validation, normalisation, dedupe against the file and the database, undo records)
into a fresh PostgreSQL database, and loads the same file with COPY into a bare table. Prints
rows per second for both and the ratio, and the import's peak memory (measured in a
subprocess with resource.getrusage) for two sizes: memory should not grow with the file.

    python -m bench.contacts_import [--rows 100000] [--memory-rows 1000000] [--existing 100000]
"""

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BENCH_POSTGRES_ADMIN_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")  # fmt: skip
HEADER = ["First Name", "Last Name", "Email", "Phone", "Address", "City", "State", "ZIP",
          "Email Opt In"]  # fmt: skip
FIRST = [
    "José",
    "Zoë",
    "Ann",
    "Mohammed",
    "Siobhán",
    "Li",
    "Ngozi",
    "Ólafur",
    "Renée",
    "Sam",
    "Priya",
    "Chloé",
    "Mateo",
    "Aiyana",
    "Dmitri",
    "Fatima",
    "Kai",
    "Lucía",
    "Noah",
    "Yuki",
]
LAST = [
    "Núñez",
    "O'Brien",
    "Lee",
    "Khan",
    "Müller",
    "Smith",
    "Okafor",
    "García",
    "Nguyen",
    "Dupré",
    "Kowalski",
    "Haddad",
    "Johnson",
    "Rossi",
    "Tanaka",
    "Silva",
    "Cohen",
    "Brown",
]


SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ra",
    "su",
    "to",
    "vi",
    "ze",
    "ba",
    "do",
    "fe",
    "gu",
    "ha",
    "ji",
    "ku",
    "la",
    "mo",
    "nu",
    "pa",
    "qi",
    "ro",
    "sa",
    "ti",
    "um",
    "va",
    "wo",
    "xi",
    "ya",
    "zo",
    "an",
    "el",
    "in",
    "ol",
    "ur",
    "ay",
    "ey",
    "oy",
    "ux",
    "iz",
]


def generate(path: Path, rows: int, seed: int = 7, start: int = 0) -> None:
    """`rows` rows of people numbered from `start` (the same number, the same person)."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for n in range(rows):
            person = start + (n if rng.random() > 0.02 or n < 10 else rng.randrange(n))  # repeats
            first = FIRST[person % len(FIRST)]
            last = (
                LAST[person % len(LAST)]
                + SYLLABLES[(person // 18) % 40]
                + SYLLABLES[(person // 720) % 40]
            )
            email = f"{first[0]}.{person}@example.org"
            if rng.random() < 0.01:
                email = f"broken{n}@@example"
            if person != n:
                email = email.upper()
            phone = f"(312) {200 + (person // 10000) % 700:03d}-{person % 10000:04d}"
            writer.writerow(
                [
                    first,
                    last,
                    email,
                    phone,
                    f"{person % 999 + 1} Elm St, Apt {n % 9}",
                    "Chicago",
                    "IL",
                    f"{10000 + (person * 7919) % 89999:05d}",
                    rng.choice(["yes", "no", ""]),
                ]
            )


class Database:
    def __init__(self):
        from sqlalchemy import create_engine, text

        self.text = text
        self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.name = f"crm_bench_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = ADMIN_URL.rsplit("/", 1)[0] + "/" + self.name

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(self.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def _app(db_url: str, instance: str):
    os.environ.update(CRM_INSTANCE_PATH=instance, DATABASE_URL=db_url,
                      SECRET_KEY="bench-" + uuid.uuid4().hex, CRM_CONFIG="development")  # fmt: skip
    from config import DevelopmentConfig
    from crm import create_app

    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = db_url
        DEBUG = False
        JOBS_IMMEDIATE = True
        IMPORT_MAX_BYTES = 2 * 1024**3

    return create_app(Config)


def child(csv_path: str, db_url: str, instance: str, preload: str = "") -> None:
    """Run one import in this process (after an untimed one of `preload`, if given); print its
    figures as JSON."""
    app = _app(db_url, instance)
    from flask_migrate import upgrade
    from sqlalchemy import text

    from crm.dataio import batches
    from crm.dataio.models import ImportBatch, ImportKind
    from crm.extensions import db

    def run_import(path: str) -> tuple[ImportBatch, float]:
        with open(path, "rb") as f:
            batch = batches.create_batch(ImportKind.CONTACTS, f, "bench.csv", "auto", "auto", None)
        batch.options = {}
        db.session.commit()
        batches.start(batch, dry_run=False)
        db.session.commit()
        started = time.perf_counter()
        batches.run(batch.id, False)
        elapsed = time.perf_counter() - started
        db.session.expire_all()
        return db.session.get(ImportBatch, batch.id), elapsed

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        if preload:
            run_import(preload)
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        done, elapsed = run_import(csv_path)
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # The process that read the file (when it was large enough to have one), ended now.
        reader_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(json.dumps({"seconds": elapsed, "rows": done.rows_done, "status": done.status.value,
                          "counts": done.counts, "peak_mib": peak_kib / 1024,
                          "reader_peak_mib": reader_kib / 1024}))  # fmt: skip
        db.engine.dispose()


def run_child(csv_path: Path, instance: str, preload: Path | None = None) -> dict:
    database = Database()
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.contacts_import", "--child", str(csv_path), database.url,
             instance, *([str(preload)] if preload else [])],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return json.loads(out.strip().splitlines()[-1])
    finally:
        database.drop()


def copy_rate(csv_path: Path, rows: int, runs: int = 3) -> float:
    """COPY's rate into a bare table: the best of a few runs, so that a slow moment of the
    machine does not flatter the import's ratio."""
    import psycopg

    database = Database()
    best = 0.0
    try:
        dsn = database.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            for run in range(runs):
                columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
                conn.execute(f"CREATE TABLE bare{run} ({columns})")
                conn.commit()
                started = time.perf_counter()
                with (
                    conn.cursor() as cur,
                    cur.copy(f"COPY bare{run} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
                    open(csv_path, "rb") as f,
                ):
                    while data := f.read(1 << 20):
                        copy.write(data)
                conn.commit()
                elapsed = time.perf_counter() - started
                loaded = conn.execute(f"SELECT count(*) FROM bare{run}").fetchone()[0]
                assert loaded == rows, loaded
                best = max(best, rows / elapsed)
        return best
    finally:
        database.drop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--memory-rows", type=int, default=1_000_000,
                        help="the larger file for the memory comparison (0 skips it)")  # fmt: skip
    parser.add_argument("--existing", type=int, default=0,
                        help="also import into a database of this many contacts, which 30 %% "
                        "of the rows match")  # fmt: skip
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="crm-bench-import-") as folder:
        small = Path(folder) / "contacts.csv"
        generate(small, args.rows)
        copy_per_s = copy_rate(small, args.rows)
        result = run_child(small, str(Path(folder) / "instance"))
        import_per_s = result["rows"] / result["seconds"]
        print(f"Contact import, {args.rows:,} rows into PostgreSQL: {result['counts']}")
        print(f"  CRM import : {import_per_s:10,.0f} rows/s ({result['seconds']:.1f} s)")
        print(f"  COPY       : {copy_per_s:10,.0f} rows/s (the best of 3 runs)")
        print(f"  ratio      : {import_per_s / copy_per_s:.4f} of COPY's rate (goal ≥ 0.02)")
        print(f"  peak memory: {result['peak_mib']:.0f} MiB for {args.rows:,} rows "
              f"(the reading process: {result['reader_peak_mib']:.0f} MiB)")  # fmt: skip
        if args.existing:
            before = Path(folder) / "existing.csv"
            generate(before, args.existing, seed=8)
            overlapping = Path(folder) / "overlapping.csv"
            generate(overlapping, args.rows, start=args.existing - int(0.3 * args.rows))
            again = run_child(overlapping, str(Path(folder) / "instance"), preload=before)
            per_s = again["rows"] / again["seconds"]
            print(
                f"  into {args.existing:,} contacts: {per_s:10,.0f} rows/s "
                f"({again['seconds']:.1f} s, ratio {per_s / copy_per_s:.4f}): "
                f"{again['counts']}"
            )
        if args.memory_rows:
            large = Path(folder) / "contacts-large.csv"
            generate(large, args.memory_rows)
            small.unlink()
            big = run_child(large, str(Path(folder) / "instance"))
            ratio = big["peak_mib"] / result["peak_mib"]
            reader_ratio = big["reader_peak_mib"] / result["reader_peak_mib"]
            print(
                f"  peak memory: {big['peak_mib']:.0f} MiB for {args.memory_rows:,} rows "
                f"(the reading process: {big['reader_peak_mib']:.0f} MiB; "
                f"{big['rows'] / big['seconds']:,.0f} rows/s)"
            )
            print(f"  memory ratio: {ratio:.2f} × the smaller file's (the reading process: "
                  f"{reader_ratio:.2f} ×; goal ≤ 1.5)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
