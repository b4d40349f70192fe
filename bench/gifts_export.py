"""The gifts CSV export beside the contacts export, through their real routes, on PostgreSQL
and SQLite.

For each engine it makes a fresh database with the contacts of bench.contacts_export
(100,000 by default) and gifts spread over them (100,000 by default: one-time and monthly,
card with Stripe ids and fees, cheques, cash, in kind; refunds, failures; campaigns, funds,
source codes and a receipt for each received gift). In processes of their own it downloads
/donations/export.csv and /contacts/export.csv as a fundraiser, reading the streamed bodies,
and prints rows per second of each and their ratio (goal: the gifts at least half the
contacts' rate), the SQL statements each download ran, and the peak memory. A second database
with more gifts (300,000 by default) shows whether the statements and the memory stay flat.

    python -m bench.gifts_export [--rows 100000] [--memory-rows 300000] [--contacts 100000]
                                 [--engines postgresql,sqlite]
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import contacts_export
from bench.contacts_export import Database, _app, settle

GOAL_RATIO = 0.5
GOAL_MEMORY = 1.2
AMOUNTS = [1000, 2000, 2500, 5000, 5000, 10000, 10000, 25000, 50000, 100000, 250000]
STATUSES = (
    ["succeeded"] * 93 + ["failed"] * 2 + ["partially_refunded"] * 2 + ["refunded", "pending"]
)
METHODS = ["card"] * 16 + ["cheque", "bank_transfer", "cash", "in_kind"]
CAMPAIGNS, FUNDS, PLANS = 20, 6, 2_000


def load(db_url: str, contacts: int, gifts: int, instance: str) -> None:
    """The contacts of bench.contacts_export, then campaigns, funds, plans, gifts and
    receipts in bulk."""
    contacts_export.load(db_url, contacts, instance)
    from crm.dashboard.store import bulk_load
    from crm.donations.models import Campaign, Donation, Fund, Receipt, RecurringPlan
    from crm.extensions import db

    rng = random.Random(5)
    now = datetime.now(UTC)
    app = _app(db_url, instance)
    with app.app_context():
        conn = db.session.connection()
        bulk_load(conn, Fund.__table__, (
            {"id": i, "name": f"Fund {i}", "restricted": i > 2, "active": True}
            for i in range(1, FUNDS + 1)
        ))  # fmt: skip
        bulk_load(conn, Campaign.__table__, (
            {"id": i, "name": f"Appeal {i}", "slug": f"appeal-{i}", "goal_cents": 5_000_000,
             "currency": "USD", "status": "active" if i > CAMPAIGNS - 3 else "closed",
             "default_fund_id": i % FUNDS + 1, "created_at": now, "updated_at": now}
            for i in range(1, CAMPAIGNS + 1)
        ))  # fmt: skip
        plans = [_plan(i, contacts, now, rng) for i in range(1, PLANS + 1)]
        bulk_load(conn, RecurringPlan.__table__, iter(plans))
        receipts = []
        bulk_load(conn, Donation.__table__, _gifts(gifts, contacts, plans, now, rng, receipts))
        bulk_load(conn, Receipt.__table__, iter(receipts))
        settle(db, ("funds", "campaigns", "recurring_plans", "donations", "receipts"))


def _plan(i: int, contacts: int, now: datetime, rng: random.Random) -> dict:
    started = now - timedelta(days=rng.randrange(30, 3 * 365))
    return {"id": i, "contact_id": rng.randrange(1, contacts + 1),
            "campaign_id": rng.randrange(1, CAMPAIGNS + 1), "fund_id": rng.randrange(1, FUNDS + 1),
            "amount_cents": rng.choice([1000, 2500, 5000]), "currency": "USD",
            "status": "active", "stripe_subscription_id": f"sub_bench{i}",
            "stripe_customer_id": f"cus_bench{i}", "created_at": started,
            "updated_at": started}  # fmt: skip


def _gifts(n: int, contacts: int, plans: list, now: datetime, rng: random.Random, receipts: list):
    sequences = {}
    for i in range(1, n + 1):
        when = now - timedelta(seconds=rng.randrange(3 * 365 * 86400))
        plan = rng.choice(plans) if rng.random() < 0.35 else None
        method = "card" if plan else rng.choice(METHODS)
        amount = plan["amount_cents"] if plan else rng.choice(AMOUNTS)
        status = rng.choice(STATUSES)
        refunded = {"refunded": amount, "partially_refunded": amount // 2}.get(status, 0)
        card = method == "card"
        yield {
            "id": i, "contact_id": plan["contact_id"] if plan else rng.randrange(1, contacts + 1),
            "campaign_id": plan["campaign_id"] if plan else rng.randrange(1, CAMPAIGNS + 1),
            "fund_id": plan["fund_id"] if plan else rng.randrange(1, FUNDS + 1),
            "recurring_plan_id": plan["id"] if plan else None, "intent_id": None,
            "amount_cents": amount, "currency": "USD",
            "covered_fee_cents": amount * 22 // 1000 + 30 if card and i % 4 == 0 else 0,
            "fee_cents": amount * 22 // 1000 + 30 if card else None,
            "refunded_cents": refunded, "benefit_cents": 2500 if i % 50 == 0 else 0,
            "status": status, "method": method, "received_at": when,
            "source": f"letter-{i % 7}" if i % 3 == 0 else None,
            "cheque_number": str(1000 + i) if method == "cheque" else None,
            "in_kind_description": "Books for the school library" if method == "in_kind" else None,
            "anonymous": i % 40 == 0, "tribute_type": None, "tribute_name": None,
            "comment": "In memory of Grandma" if i % 90 == 0 else None, "disputed": i % 500 == 0,
            "stripe_checkout_session_id": f"cs_bench{i}" if card and not plan else None,
            "stripe_payment_intent_id": f"pi_bench{i}" if card else None,
            "stripe_charge_id": f"ch_bench{i}" if card else None,
            "stripe_invoice_id": f"in_bench{i}" if plan else None,
            "created_at": when, "updated_at": when,
        }  # fmt: skip
        if status not in ("failed", "pending"):
            year = when.year
            sequences[year] = sequence = sequences.get(year, 0) + 1
            receipts.append({
                "id": len(receipts) + 1, "donation_id": i, "year": year, "sequence": sequence,
                "number": f"{year}-{sequence:06d}", "issued_at": when, "amount_cents": amount,
                "deductible_cents": amount, "currency": "USD", "emailed_at": when,
            })  # fmt: skip


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.gifts_export", *args], cwd=contacts_export.ROOT,
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1]) if out.strip() else {}


def measure(engine: str, contacts: int, gifts: int, folder: str, with_contacts: bool) -> dict:
    database = Database(engine, folder)
    instance = str(Path(folder) / "instance")
    try:
        started = time.perf_counter()
        _child("--load", database.url, str(contacts), str(gifts), instance)
        print(f"  {engine}: loaded {contacts:,} contacts and {gifts:,} gifts in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)  # fmt: skip
        result = {"gifts": _child("--export", database.url, instance, "/donations/export.csv")}
        assert result["gifts"]["rows"] == gifts, result
        if with_contacts:
            result["contacts"] = _child("--export", database.url, instance)
            assert result["contacts"]["rows"] == contacts, result
        return result
    finally:
        database.drop()


def _line(engine: str, what: str, r: dict) -> str:
    return (f"{engine:<12}{what:<10}{r['rows']:>9,}{r['seconds']:>9.1f}"
            f"{r['first_byte'] * 1000:>8.0f}{r['rows'] / r['seconds']:>10,.0f}"
            f"{r['statements']:>12}{r['peak_mib']:>10.0f}{r['before_mib']:>12.0f}")  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="gifts")
    parser.add_argument("--memory-rows", type=int, default=300_000,
                        help="gifts of the larger export (0 skips it)")  # fmt: skip
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--load", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--export", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        load(args.load[0], int(args.load[1]), int(args.load[2]), args.load[3])
        return 0
    if args.export:
        contacts_export.export(*args.export)
        return 0
    print("Gifts CSV export beside the contacts export (streamed, as a fundraiser):")
    print(f"{'engine':<12}{'export':<10}{'rows':>9}{'total s':>9}{'1st ms':>8}{'rows/s':>10}"
          f"{'statements':>12}{'peak MiB':>10}{'before MiB':>12}")  # fmt: skip
    met = True
    with tempfile.TemporaryDirectory(prefix="crm-bench-gifts-") as folder:
        for engine in args.engines.split(","):
            r = measure(engine, args.contacts, args.rows, folder, with_contacts=True)
            print(_line(engine, "gifts", r["gifts"]))
            print(_line(engine, "contacts", r["contacts"]))
            ratio = (args.rows / r["gifts"]["seconds"]) / (args.contacts / r["contacts"]["seconds"])
            met = met and ratio >= GOAL_RATIO
            print(f"{'':<12}ratio gift/contact rows per second: {ratio:.2f} (goal ≥ {GOAL_RATIO})")
            if args.memory_rows:
                big = measure(engine, args.contacts, args.memory_rows, folder, False)["gifts"]
                print(_line(engine, "gifts", big))
                growth = big["peak_mib"] / r["gifts"]["peak_mib"]
                same = big["statements"] == r["gifts"]["statements"]
                met = met and growth <= GOAL_MEMORY and same
                print(f"{'':<12}peak memory at {args.memory_rows:,} gifts: {growth:.2f} × that "
                      f"at {args.rows:,} (goal ≤ {GOAL_MEMORY}); statements "
                      f"{'the same' if same else 'NOT the same'}")  # fmt: skip
    print(f"goals: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
