"""Webhook ingestion on PostgreSQL under gunicorn: signed events per second and p95 latency,
beside a bare Flask route served by the same server; then how fast the background worker
handles the stored events, and a check that every acknowledged event is stored and handled
exactly once.

    python -m bench.webhooks [--events 1000] [--concurrency 16] [--duplicates 0.1]

It creates and drops its own database, and starts and stops gunicorn and the worker (by PID)
on 127.0.0.1. Each gift event is a checkout.session.completed for its own gift, the path a
real gift takes: the webhook verifies it, stores it, commits, queues it and answers; the
worker matches or creates the donor, records the gift, and the receipt job numbers the
receipts of the year in batches and queues their emails. Events of a type the CRM does not
use are verified and acknowledged without being stored.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# The job queue, as in production: Redis, a queue of this run's own (see --redis-url).
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET = "whsec_bench_" + uuid.uuid4().hex


def parse_args(argv=None) -> argparse.Namespace:
    cpus = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000, help="distinct events to send")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument(
        "--duplicates",
        type=float,
        default=0.1,
        help="share of events also delivered a second time, concurrently",
    )
    parser.add_argument("--workers", type=int, default=min(2 * cpus, 8), help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help="seconds per run; what is not sent by then is left out")  # fmt: skip
    parser.add_argument("--worker-threads", type=int, default=4,
                        help="threads of the background worker")  # fmt: skip
    parser.add_argument("--worker-during-load", action="store_true",
                        help="start the worker before the gift events, not after them")  # fmt: skip
    parser.add_argument("--redis-url", default=REDIS_URL,
                        help="the job queue's Redis; 'none': the SQLite file queue")  # fmt: skip
    return parser.parse_args(argv)


# --- the database -----------------------------------------------------------------------------


class Database:
    """A PostgreSQL database of its own, migrated, dropped at the end."""

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


def prepare(db_url: str, instance: Path, count: int) -> list[tuple[str, int]]:
    """Migrate, then store `count` one-time gift intents; returns (public id, amount)."""
    os.environ["CRM_INSTANCE_PATH"] = str(instance)
    os.environ.update(DATABASE_URL=db_url, SECRET_KEY="bench-" + uuid.uuid4().hex,
                      STRIPE_WEBHOOK_SECRET=SECRET)  # fmt: skip
    from flask_migrate import upgrade

    from bench.wsgi import app
    from crm.donations import services
    from crm.donations.models import Campaign, CampaignStatus, Frequency, Fund
    from crm.extensions import db

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        fund = Fund(name="General fund")
        campaign = Campaign(name="Benchmark", slug="bench", goal_cents=10**9, currency="USD",
                            status=CampaignStatus.ACTIVE, default_fund=fund)  # fmt: skip
        db.session.add(campaign)
        intents = []
        for n in range(count):
            amount = 1000 + 100 * (n % 50)
            intent = services.create_intent(campaign, {
                "frequency": Frequency.ONE_TIME, "amount_cents": amount, "first_name": "Donor",
                "last_name": f"N{n}", "email": f"donor{n}@bench.example.org",
            })  # fmt: skip
            intents.append((intent.public_id, amount))
        db.session.commit()
        db.engine.dispose()
    return intents


def counts(engine) -> tuple[dict, int, int, int, int]:
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, status FROM stripe_events")).all())
        gifts, intents = conn.execute(
            text("SELECT count(*), count(DISTINCT intent_id) FROM donations")
        ).one()
        receipts = conn.execute(text("SELECT count(*) FROM receipts")).scalar_one()
        due = conn.execute(text("SELECT count(*) FROM donations WHERE receipt_due")).scalar_one()
    return rows, gifts, intents, receipts, due


def drain(db_url: str, expected: int, timeout: float) -> dict:
    """Wait for the worker to handle every stored event and issue every receipt; returns
    the seconds it took from now and whether it finished."""
    from sqlalchemy import create_engine

    engine = create_engine(db_url)
    started = time.perf_counter()
    done = False
    while time.perf_counter() - started < timeout:
        rows, gifts, _, receipts, due = counts(engine)
        handled = sum(status == "processed" for status in rows.values())
        if handled >= len(rows) and gifts >= expected and receipts >= gifts and not due:
            done = True
            break
        time.sleep(0.05)
    engine.dispose()
    return {"seconds": time.perf_counter() - started, "done": done}


def verify(db_url: str, acknowledged: set[str], sent: set[str]) -> dict:
    """Every acknowledged gift event stored once and processed; no event of an unused type
    stored; every gift event made exactly one gift with one receipt; nothing stored that was
    not sent."""
    from sqlalchemy import create_engine

    engine = create_engine(db_url)
    rows, gifts, intents, receipts, _ = counts(engine)
    engine.dispose()
    processed = {i for i, status in rows.items() if status == "processed"}
    gift_events = {i for i in processed if i.startswith(GIFT_PREFIX)}
    acknowledged_gifts = {i for i in acknowledged if i.startswith(GIFT_PREFIX)}
    figures = {
        "acknowledged": len(acknowledged),
        "stored": len(rows),
        "acknowledged but missing": len(acknowledged_gifts - rows.keys()),
        "acknowledged but not processed": len(acknowledged_gifts - processed),
        "unused types stored": sum(not i.startswith(GIFT_PREFIX) for i in rows),
        "stored but never sent": len(rows.keys() - sent),
        "gift events processed": len(gift_events),
        "gifts": gifts,
        "intents with two gifts": gifts - intents,
        "receipts": receipts,
    }
    figures["ok"] = (
        acknowledged_gifts <= processed
        and rows.keys() <= sent
        and not figures["unused types stored"]
        and gifts == intents == len(gift_events) == receipts
    )
    return figures


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, args: argparse.Namespace, db_url: str, instance: Path):
        self.port = free_port()
        self.log = instance / "gunicorn.log"
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "CRM_INSTANCE_PATH": str(instance),
            "PYTHONPATH": str(ROOT),
            "FLASK_DEBUG": "0",
        }
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(args.workers), "--worker-class", "gthread",
                   "--threads", str(args.threads), "--log-level", "warning",
                   "bench.wsgi:app"]  # fmt: skip
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                         stderr=subprocess.STDOUT)  # fmt: skip
        self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"gunicorn exited:\n{tail}")
            try:
                if post(self.port, "/bench/bare", b"{}", {})[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def forget_queue(url: str, queue: str) -> None:
    """Delete this run's keys from Redis (its queue, schedule and results)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"huey.*{queue}*"))
    if keys:
        client.delete(*keys)
    client.close()


class Worker:
    """`flask crm worker`: the job queue's consumer, on the same database and queue."""

    def __init__(self, args: argparse.Namespace, db_url: str, instance: Path):
        self.log = instance / "worker.log"
        env = {**os.environ, "DATABASE_URL": db_url, "CRM_INSTANCE_PATH": str(instance),
               "PYTHONPATH": str(ROOT), "FLASK_DEBUG": "0"}  # fmt: skip
        command = [sys.executable, "-m", "flask", "--app", "bench.wsgi:app", "crm", "worker",
                   "--workers", str(args.worker_threads)]  # fmt: skip
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                         stderr=subprocess.STDOUT)  # fmt: skip

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)  # huey's consumer stops on SIGINT
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# --- the load --------------------------------------------------------------------------------

_local = threading.local()


def post(port: int, path: str, body: bytes, headers: dict) -> tuple[int, float]:
    """POST on this thread's keep-alive connection; returns (status, seconds)."""
    conn = getattr(_local, "conn", None)
    if conn is None or getattr(_local, "port", None) != port:
        conn = _local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        _local.port = port
    started = time.perf_counter()
    try:
        conn.request("POST", path, body, {"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        response.read()
    except (OSError, http.client.HTTPException):
        conn.close()
        _local.conn = None
        raise
    return response.status, time.perf_counter() - started


def signed(event: dict) -> tuple[bytes, dict]:
    body = json.dumps(event).encode()
    t = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={t},v1={digest}"}


GIFT_PREFIX = "evt_bench_gift_"


def other_event(n: int) -> dict:
    """An event type the CRM does not use: verified, stored once, acknowledged."""
    customer = {"id": f"cus_other_{n}", "object": "customer", "email": f"x{n}@bench.example.org",
                "metadata": {}, "livemode": False, "created": int(time.time())}  # fmt: skip
    return {
        "id": f"evt_bench_other_{n}", "object": "event", "type": "customer.updated",
        "api_version": "2025-08-27.basil", "created": int(time.time()), "livemode": False,
        "data": {"object": customer}, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
    }  # fmt: skip


def gift_event(n: int, public_id: str, amount: int) -> dict:
    """checkout.session.completed in the current API's shape, for one of our intents."""
    session = {
        "id": f"cs_bench_{n}", "object": "checkout.session", "mode": "payment",
        "submit_type": "donate", "status": "complete", "payment_status": "paid",
        "amount_total": amount, "amount_subtotal": amount, "currency": "usd",
        "client_reference_id": public_id, "metadata": {"intent": public_id},
        "customer": f"cus_bench_{n}", "customer_details": {"email": f"donor{n}@bench.example.org"},
        "payment_intent": f"pi_bench_{n}", "subscription": None, "livemode": False,
        "created": int(time.time()),
    }  # fmt: skip
    return {
        "id": f"{GIFT_PREFIX}{n}", "object": "event", "type": "checkout.session.completed",
        "api_version": "2025-08-27.basil", "created": int(time.time()), "livemode": False,
        "data": {"object": session}, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
    }  # fmt: skip


def with_duplicates(events: list[dict], share: float) -> tuple[list[dict], int]:
    """The events in order, the first `share` of them sent twice in a row, so that the
    second delivery races the first."""
    twice = int(len(events) * share)
    order = []
    for n, event in enumerate(events):
        order += [event, event] if n < twice else [event]
    return order, twice


def run(port: int, requests: list[tuple[str, bytes, dict]], args) -> dict:
    """Send everything with `concurrency` in flight; stop submitting at the time limit."""
    deadline = time.monotonic() + args.time_limit
    latencies, statuses, errors = [], {}, 0
    lock = threading.Lock()

    def one(item):
        nonlocal errors
        path, body, headers = item
        if time.monotonic() > deadline:
            return None
        try:
            status, seconds = post(port, path, body, headers)
        except (OSError, http.client.HTTPException):
            with lock:
                errors += 1
            return None
        with lock:
            latencies.append(seconds)
            statuses[status] = statuses.get(status, 0) + 1
        return status

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        results = list(pool.map(one, requests))
    elapsed = time.perf_counter() - started
    done = len(latencies)
    return {
        "sent": done,
        "unsent": sum(r is None for r in results) - errors,
        "errors": errors,
        "statuses": statuses,
        "per_second": done / elapsed if elapsed else 0.0,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p95_ms": 1000 * statistics.quantiles(latencies, n=20)[-1] if done > 1 else 0.0,
        "results": results,
    }


def report(name: str, figures: dict) -> None:
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(figures["statuses"].items()))
    errors = f"  errors: {figures['errors']}" if figures["errors"] else ""
    print(f"  {name:<34} {figures['sent']:>6} requests  {figures['per_second']:>8.1f} /s"
          f"  p50 {figures['p50_ms']:>7.1f} ms  p95 {figures['p95_ms']:>7.1f} ms"
          f"  [{codes}]{errors}")  # fmt: skip


def main(argv=None) -> int:
    args = parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    database = server = worker = None
    queue = f"crm_bench_{uuid.uuid4().hex[:10]}"
    os.environ["JOBS_QUEUE_NAME"] = queue
    if args.redis_url != "none":
        os.environ["REDIS_URL"] = args.redis_url
    try:
        database = Database()
        print(f"Preparing {args.events} gift intents in {database.name} ...", flush=True)
        intents = prepare(database.url, instance, args.events)
        server = Gunicorn(args, database.url, instance)
        print(f"gunicorn on 127.0.0.1:{server.port}: {args.workers} workers x {args.threads}"
              f" threads; {args.concurrency} requests in flight", flush=True)  # fmt: skip

        gifts = [gift_event(n, pid, amount) for n, (pid, amount) in enumerate(intents)]
        others = [other_event(n) for n in range(len(gifts))]
        gift_order, gift_twice = with_duplicates(gifts, args.duplicates)
        other_order, _ = with_duplicates(others, args.duplicates)
        gift_load = [("/webhooks/stripe", *signed(e)) for e in gift_order]
        other_load = [("/webhooks/stripe", *signed(e)) for e in other_order]
        bare_load = [("/bench/bare", gift_load[0][1], {})] * len(gift_load)

        run(server.port, bare_load[:200], args)  # warm up connections and workers
        bare = run(server.port, bare_load, args)
        stored = run(server.port, other_load, args)
        if args.worker_during_load:
            worker = Worker(args, database.url, instance)
        hooks = run(server.port, gift_load, args)
        worker = worker or Worker(args, database.url, instance)
        drained = drain(database.url, len(gifts), timeout=max(args.time_limit, 300.0))

        acknowledged = {gift_order[i]["id"] for i, s in enumerate(hooks["results"]) if s == 200}
        acknowledged |= {other_order[i]["id"] for i, s in enumerate(stored["results"]) if s == 200}
        check = verify(database.url, acknowledged, {e["id"] for e in gifts + others})

        print(f"\nWebhook ingestion on PostgreSQL under gunicorn: {len(gifts)} distinct signed"
              f" events per run, +{gift_twice} delivered twice at the same moment")  # fmt: skip
        report("bare Flask route (same server)", bare)
        report("webhook, event type not used", stored)
        report("webhook, checkout.session.completed", hooks)
        for name, figures in (("not-used events", stored), ("gift events", hooks)):
            if figures["per_second"]:
                print(f"  ratio bare/{name}: {bare['per_second'] / figures['per_second']:.1f}x"
                      f" the requests per second, p95 {figures['p95_ms'] / bare['p95_ms']:.1f}x"
                      " as long")  # fmt: skip
        handled = check["gift events processed"]
        total = hooks["sent"] / hooks["per_second"] + drained["seconds"] if handled else 0.0
        late = "" if drained["done"] else " — NOT DRAINED"
        print(f"  worker: {handled} gift events handled, the last {drained['seconds']:.1f} s"
              f" after the last was acknowledged ({handled / total:.1f} gifts/s from first"
              f" request to last receipt){late}")  # fmt: skip
        print("  stored exactly once: " + ("OK" if check["ok"] else "FAILED") + " ("
              + ", ".join(f"{k} {v}" for k, v in check.items() if k != "ok") + ")")  # fmt: skip
        unsent = hooks["unsent"] + stored["unsent"]
        if unsent:
            print(f"  note: {unsent} events were not sent within the {args.time_limit}s limit")
        return 0 if check["ok"] and not (hooks["errors"] or stored["errors"]) else 1
    finally:
        if worker is not None:
            worker.stop()
        if server is not None:
            server.stop()
        if database is not None:
            database.drop()
        if args.redis_url != "none":
            forget_queue(args.redis_url, queue)
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
