"""A typical segment counted at 10,000 contacts (100,000 gifts) and at 100,000 contacts
(1,000,000 gifts), on PostgreSQL, and the ratio.

    python -m bench.segments [--small 0.1] [--large 1.0] [--repeat 15]

Each scale is a fresh database filled by `flask crm generate-data` (five years of gifts,
plans, events and registrations), with a tag on one contact in ten and a word on the email
topics from one in five (some yes, some no). The segment: people in Illinois who want appeals
and are not tagged staff, AND either lapsed last year (LYBUNT) or gave at least $250 in the
last twelve months: six conditions in two groups, over contacts, tags, the consent state
and a million gifts. Timed: the count the builder shows, the first page of its contacts,
and the mailing page's "who is left out and why". Medians of --repeat after a warm-up, on a
database vacuumed and analysed after the load (as autovacuum leaves a live one).
The goal: the count well under a second at the large scale.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import date, timedelta

from sqlalchemy import create_engine, text

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def typical(tag_id: int) -> dict:
    year_ago = (date.today() - timedelta(days=365)).isoformat()
    return {"match": "all", "groups": [
        {"match": "all", "conditions": [
            {"kind": "region", "value": "IL"},
            {"kind": "topic", "value": "appeals"},
            {"kind": "tag", "value": str(tag_id), "negate": True},
        ]},
        {"match": "any", "conditions": [
            {"kind": "lybunt"},
            {"kind": "total_given", "date_from": year_ago, "amount_min": "250"},
        ]},
    ]}  # fmt: skip


def _decorate(db) -> int:
    """Tags and topic answers, by SQL; returns the "staff" tag's id."""
    db.session.execute(text("INSERT INTO tags (name) VALUES ('staff'), ('parents')"))
    db.session.execute(text("""
        INSERT INTO contact_tags (contact_id, tag_id)
        SELECT c.id, t.id FROM contacts c JOIN tags t ON t.name = CASE WHEN c.id % 20 = 0
            THEN 'staff' ELSE 'parents' END WHERE c.id % 10 = 0"""))  # fmt: skip
    db.session.execute(
        text("""
        INSERT INTO email_subscriptions (contact_id, topic, subscribed, changed_at)
        SELECT c.id, 'appeals', c.id % 3 <> 0, now() FROM contacts c WHERE c.id % 5 = 0""")
    )
    tag_id = db.session.execute(text("SELECT id FROM tags WHERE name = 'staff'")).scalar()
    db.session.commit()
    # What autovacuum does to a live database after a bulk load: statistics, and the
    # visibility map that lets the gifts be read from their index alone.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return tag_id


def _median(fn, repeat: int) -> float:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def measure(scale: float, repeat: int) -> dict:
    name = f"crm_bench_seg_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return _measure_in(ADMIN_URL.rsplit("/", 1)[0] + "/" + name, scale, repeat)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _measure_in(url: str, scale: float, repeat: int) -> dict:
    from flask_migrate import upgrade

    from config import TestingConfig
    from crm import create_app
    from crm.auth import services as accounts
    from crm.auth.roles import Role
    from crm.dashboard.generate import generate
    from crm.extensions import db
    from crm.outreach import audience, segments
    from crm.outreach.conditions import read_tree
    from crm.outreach.models import Audience, Mailing, Topic

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        TESTING = False

    app = create_app(Config)
    with app.app_context():
        upgrade()
        counts = generate(scale, echo=lambda line: print(line, file=sys.stderr))
        tag_id = _decorate(db)
        user = accounts.create_user("bench@example.org", "Bench", Role.FUNDRAISER, "bench-pass-1")
        db.session.commit()
        tree = read_tree(typical(tag_id), may_see_money=True)
        segment = segments.save(None, "Typical", None, typical(tag_id), user)
        mailing = Mailing(
            subject="s",
            from_name="f",
            body="b",
            audience=Audience.SEGMENT,
            topic=Topic.APPEALS,
            segment=segment,
            campaign_id=1,
            source_code="x",
        )
        db.session.add(mailing)
        db.session.commit()
        found = segments.count(tree)
        timings = {
            "count": _median(lambda: segments.count(tree), repeat),
            "first page": _median(
                lambda: db.session.scalars(segments.members(tree).limit(50)).all(), repeat
            ),  # fmt: skip
            "left out and why": _median(lambda: audience.summary(mailing, user), repeat),
        }
        db.session.rollback()
        db.engine.dispose()
    return {"contacts": counts["contacts"], "gifts": counts["gifts"], "found": found, **timings}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=float, default=0.1)
    parser.add_argument("--large", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    small, large = measure(args.small, args.repeat), measure(args.large, args.repeat)
    print("A typical segment (6 conditions, 2 groups), median ms on PostgreSQL:")
    print(f"{'':<20}{small['contacts']:>10,} contacts{large['contacts']:>10,} contacts{'ratio':>8}")
    print(f"{'':<20}{small['gifts']:>13,} gifts{large['gifts']:>13,} gifts")
    print(f"{'matching':<20}{small['found']:>19,}{large['found']:>19,}")
    for key in ("count", "first page", "left out and why"):
        print(f"{key:<20}{small[key]:>19.1f}{large[key]:>19.1f}{large[key] / small[key]:>8.2f}")
    met = large["count"] < 1000
    print(f"goal: the count well under a second at {large['contacts']:,} contacts: "
          f"{'met' if met else 'NOT met'} ({large['count']:.0f} ms)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
