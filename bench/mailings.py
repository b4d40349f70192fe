"""A mailing to 10,000 and to 100,000 recipients, rendered and delivered by the real worker
(`flask crm worker`, a process of its own) to a local SMTP server (aiosmtpd, bench/smtp_sink.py,
another process), on PostgreSQL; then the same mailing again with the worker killed (SIGKILL)
half-way and a new one started.

    python -m bench.mailings [--small 10000] [--large 100000] [--kill 100000]

For each size it makes a fresh database with that many subscribed contacts, a segment of
them and a mailing with merge fields and two tracked links, marks it to send and starts the
worker, which freezes the recipients and sends. Prints messages per second (from the first
message the server took to the last; and end to end, worker start and freezing included),
and the worker's peak memory (VmHWM), for each size and their ratio. The kill run counts, in
what the server took, the recipients that got the message twice (duplicates) and those that
never got it (gaps). Goals: at least 100 messages a second, the larger peak at most 1.2 times
the smaller, no duplicate and no gap. The throttle is off (MAILING_RATE=0): this measures
what the sender can do; production sets the rate its mail provider allows.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
BODY = """Dear {{ first_name | friend }},

Thank you for standing with children this year. **Every training** starts with a parent,
a teacher or a neighbour who cares.

- [Give to the spring appeal](/give/spring)
- [Come to a training near you](/events)

With thanks, {{ full_name }}'s friends at the organisation."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(url: str, folder: Path, port: int) -> dict:
    return {**os.environ, "CRM_CONFIG": "development", "DATABASE_URL": url, "SECRET_KEY": SECRET,
            "CRM_INSTANCE_PATH": str(folder / "instance"), "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "MAILING_RATE": "0",
            "MAILING_JOURNAL_DIR": str(folder / "journal"), "REDIS_URL": "",
            "FLASK_APP": "crm:create_app", "PYTHONPATH": str(ROOT)}  # fmt: skip


def _app(url: str, folder: Path):
    os.environ.update(CRM_INSTANCE_PATH=str(folder / "instance"), DATABASE_URL=url)
    from config import TestingConfig
    from crm import create_app

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = SECRET
        TESTING = False
        JOBS_IMMEDIATE = False

    return create_app(Config)


def prepare(url: str, folder: Path, people: int) -> int:
    """Migrate, load the contacts by SQL, and write a mailing ready to go; its id."""
    from flask_migrate import upgrade

    from crm.auth import services as accounts
    from crm.auth.roles import Role
    from crm.donations.models import Campaign, CampaignStatus
    from crm.extensions import db
    from crm.outreach import mailings, preparing, segments
    from crm.outreach.models import Audience, Topic

    app = _app(url, folder)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.session.execute(text("""
            INSERT INTO contacts (first_name, last_name, email, email_key, email_opt_in,
                do_not_contact, search_key, city, region, created_at, updated_at)
            SELECT 'Person' || n, 'Number' || n, 'person' || n || '@example.net',
                   'person' || n || '@example.net', true, false, 'person ' || n,
                   'Springfield', 'IL', now(), now()
            FROM generate_series(1, :n) AS n"""), {"n": people})  # fmt: skip
        db.session.execute(text("ANALYZE contacts"))
        user = accounts.create_user("bench@example.org", "Bench", Role.ADMIN, "bench-password-1")
        campaign = Campaign(name="Spring", slug="spring", goal_cents=10**7, currency="USD",
                            status=CampaignStatus.ACTIVE)  # fmt: skip
        db.session.add(campaign)
        preparing.settings().postal_address = "100 Main Street, Springfield, IL 62701"
        condition = {"kind": "city", "value": "Springfield"}
        segment = segments.save(None, "Everyone", None, {"match": "all", "groups": [
            {"match": "all", "conditions": [condition]}]}, user)  # fmt: skip
        mailing = mailings.save(None, {
            "subject": "Spring news, {{ first_name | friend }}",
            "preview_text": "A year of trainings",
            "from_name": "Protect Our Children", "reply_to": None, "body": BODY,
            "audience": Audience.SEGMENT, "topic": Topic.NEWSLETTER, "segment_id": segment.id,
            "event_id": None, "event_audience": None, "shift_id": None,
            "campaign_id": campaign.id, "source_code": "bench-spring",
        }, user)  # fmt: skip
        mailings.send_now(mailing, user)
        db.session.commit()
        mailing_id = mailing.id
        db.engine.dispose()
    return mailing_id


def _sink(folder: Path) -> tuple[subprocess.Popen, Path, int]:
    port = free_port()
    log = folder / "accepted.log"
    log.touch()
    sink = subprocess.Popen(
        [sys.executable, "-m", "bench.smtp_sink", str(port), str(log)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return sink, log, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the SMTP sink did not start")


def _worker(url: str, folder: Path, port: int, name: str) -> subprocess.Popen:
    with (folder / f"{name}.log").open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "crm", "worker", "--workers", "1"],
            env=_env(url, folder, port), stdout=output, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip


def _lines(log: Path) -> int:
    with log.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _wait_lines(log: Path, count: int, worker: subprocess.Popen, timeout: float) -> float:
    """Wait until the server took `count` messages; the moment it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _lines(log) >= count:
            return time.monotonic()
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}")
        time.sleep(0.02)
    raise RuntimeError(f"only {_lines(log)} of {count} messages after {timeout} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def in_database(people: int, run) -> dict:
    name = f"crm_bench_mail_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        with tempfile.TemporaryDirectory(prefix="crm-bench-mail-") as tmp:
            folder = Path(tmp)
            mailing_id = prepare(url, folder, people)
            sink, log, port = _sink(folder)
            try:
                return run(url, folder, port, log, mailing_id, people)
            finally:
                _stop(sink)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def clean_run(url, folder, port, log, mailing_id, people) -> dict:
    started = time.monotonic()
    worker = _worker(url, folder, port, "worker")
    try:
        first = _wait_lines(log, 1, worker, 600)
        last = _wait_lines(log, people, worker, 3600)
        peak = _peak_mib(worker.pid)
    finally:
        _stop(worker)
    return {"rate": (people - 1) / (last - first), "end_to_end": people / (last - started),
            "seconds": last - started, "peak_mib": peak, "taken": _lines(log)}  # fmt: skip


def kill_run(url, folder, port, log, mailing_id, people) -> dict:
    first = _worker(url, folder, port, "first")
    try:
        _wait_lines(log, people // 2, first, 3600)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        _stop(first)
    at_kill = _lines(log)
    second = _worker(url, folder, port, "second")
    try:
        _wait_lines(log, people, second, 3600)
        engine = create_engine(url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the last batch's bookkeeping
            with engine.connect() as conn:
                status = conn.execute(text("SELECT status FROM mailings WHERE id = :id"),
                                      {"id": mailing_id}).scalar()  # fmt: skip
            if status == "sent":
                break
            time.sleep(0.2)
        with engine.connect() as conn:
            expected = set(conn.execute(text(
                "SELECT email FROM mailing_recipients WHERE mailing_id = :id"),
                {"id": mailing_id}).scalars())  # fmt: skip
        engine.dispose()
    finally:
        _stop(second)
    taken = Counter(line.split()[0] for line in log.read_text().splitlines() if line.strip())
    return {"at_kill": at_kill, "status": status, "recipients": len(expected),
            "duplicates": sum(1 for n in taken.values() if n > 1),
            "gaps": len(expected - set(taken)), "taken": sum(taken.values())}  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--kill", type=int, default=100_000, help="recipients of the kill run")
    args = parser.parse_args(argv)
    print(f"Mailings through the worker to aiosmtpd on 127.0.0.1, {datetime.now(UTC):%Y-%m-%d}:")
    runs = {}
    for people in (args.small, args.large):
        runs[people] = result = in_database(people, clean_run)
        print(f"{people:>9,} recipients: {result['rate']:7.0f} msg/s sending, "
              f"{result['end_to_end']:7.0f} msg/s end to end ({result['seconds']:.0f} s), "
              f"worker peak {result['peak_mib']:.0f} MiB")  # fmt: skip
    ratio = runs[args.large]["peak_mib"] / runs[args.small]["peak_mib"]
    slowest = min(r["rate"] for r in runs.values())
    print(f"memory ratio {args.large:,} / {args.small:,}: {ratio:.2f} (goal <= 1.2: "
          f"{'met' if ratio <= 1.2 else 'NOT met'}); slowest {slowest:.0f} msg/s (goal >= 100: "
          f"{'met' if slowest >= 100 else 'NOT met'})")  # fmt: skip
    killed = in_database(args.kill, kill_run)
    print(
        f"kill -9 at {killed['at_kill']:,} of {killed['recipients']:,}, then a new worker: "
        f"{killed['taken']:,} messages taken, duplicates {killed['duplicates']}, gaps "
        f"{killed['gaps']}, mailing {killed['status']} (goal: 0 and 0: "
        f"{'met' if not killed['duplicates'] and not killed['gaps'] else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
