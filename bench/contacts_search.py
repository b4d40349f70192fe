"""Contact search at 10,000 and at 1,000,000 contacts, through the real route, on PostgreSQL.

For each size it makes a fresh database, migrates it (the search indexes come with the
migration) and loads contacts in bulk: names drawn from 1,000 given names and 20,000 surnames
with a Zipf-like popularity (a few names are common, most rare), an email each, a phone for
80 %, four in ten linked to one of size/25 organisations ("Maplewood Middle School"), half
tagged, and a gift each on average. Then, in a process of its own, it signs in as a
fundraiser (so the list also shows giving) and times `/contacts/?q=...` for the same kinds of
search at both sizes, each for 15 sample people: their full name, their surname, their exact
email, the beginning of their email ("maria.garcia.123@exa"), their phone as typed
("(312) 555-0134"), its last seven digits, and their organisation's name; also the list
with no search. It prints the median time of each kind at both sizes, the ratio (goal: at
most 2), and the SQL statements one page costs at both sizes (goal: the same).

    python -m bench.contacts_search [--small 10000] [--large 1000000] [--samples 15]
"""

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.contacts_export import Database, _app

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 2.0
SYLLABLES = ("al an ar bel ber bo car da del do el en fa fer ga gar han har is ja jo ka ke "
             "la lan le li lo ma mar me mi mo na ne ni no pa pe ra re ri ro sa se si so ta "
             "te ti to va ve vi wa ya za").split()  # fmt: skip
PLACE_ENDINGS = ["wood", "field", "ville", "ton", " Park", " Heights", "brook", " Valley"]
KINDS = ["Elementary School", "Middle School", "High School", "Baptist Church", "Library",
         "Community Center", "Logistics", "Hospital", "Rotary Club", "Parish", "Academy",
         "Police Department", "Family Services", "Youth League", "Credit Union", "Mosque",
         "Synagogue", "PTA", "Boys & Girls Club", "College"]  # fmt: skip
AREA_CODES = [str(a) for a in range(201, 990) if a % 100 // 10 not in (1, 9) and a % 10 > 1]
TAGS = ["donor", "monthly", "parent", "educator", "volunteer", "employer", "partner", "major"]
KINDS_OF_SEARCH = ["full name", "surname", "email", "email prefix", "phone", "phone digits",
                   "organisation", "no search"]  # fmt: skip


def words(rng: random.Random, count: int, parts: tuple[int, int]) -> list[str]:
    """`count` made-up capitalised words of `parts` syllables, in a fixed order."""
    found: dict[str, None] = {}
    while len(found) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(*parts)))
        found[word.capitalize()] = None
    return list(found)


def zipf_weights(n: int, exponent: float) -> list[float]:
    return [1 / (rank + 1) ** exponent for rank in range(n)]


class People:
    """The made-up population, the same at every size (the same seed)."""

    def __init__(self):
        rng = random.Random(7)
        self.given = words(rng, 1_000, (2, 3))
        self.surnames = words(rng, 20_000, (2, 4))
        self.places = [w + rng.choice(PLACE_ENDINGS) for w in words(rng, 5_000, (2, 3))]
        self.given_weights = zipf_weights(len(self.given), 0.9)
        self.surname_weights = zipf_weights(len(self.surnames), 0.7)

    def organisation(self, n: int) -> str:
        return f"{self.places[n // len(KINDS)]} {KINDS[n % len(KINDS)]}"


def _us_area(number) -> bool:
    import phonenumbers

    return phonenumbers.region_code_for_number(number) == "US"


def _rows(size: int, now: datetime):
    import phonenumbers

    from crm.contacts.normalise import fold

    people, rng = People(), random.Random(size)
    areas = [a for a in AREA_CODES if _us_area(phonenumbers.parse(f"+1{a}2345678"))]
    firsts = rng.choices(people.given, people.given_weights, k=size)
    lasts = rng.choices(people.surnames, people.surname_weights, k=size)
    for n in range(1, size + 1):
        first, last = firsts[n - 1], lasts[n - 1]
        email = f"{fold(first)}.{fold(last)}.{n}@example.{('org', 'com', 'net')[n % 3]}"
        phone = None
        if n % 5:
            area = areas[n % len(areas)]
            exchange = 201 + (n // len(areas)) % 788
            phone = f"+1{area}{exchange + (exchange % 100 == 11):03d}{n % 10_000:04d}"
        created = now - timedelta(seconds=rng.randrange(5 * 365 * 86400))
        yield {"id": n, "first_name": first, "last_name": last, "email": email,
               "email_key": email, "phone": phone, "search_key": fold(f"{first} {last} {email}"),
               "email_opt_in": n % 3 == 0, "do_not_contact": n % 50 == 0,
               "created_at": created, "updated_at": created}  # fmt: skip


def load(db_url: str, size: int, instance: str) -> None:
    """Migrate, and load `size` contacts with organisations, tags and gifts."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from crm.contacts.models import Affiliation, Contact, Organisation, Tag, contact_tags
    from crm.contacts.normalise import fold
    from crm.dashboard.store import bulk_load
    from crm.donations.models import Donation
    from crm.extensions import db

    app, people, rng = _app(db_url, instance), People(), random.Random(size + 1)
    organisations = max(size // 25, 1)
    now = datetime.now(UTC)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        conn = db.session.connection()
        bulk_load(conn, Tag.__table__, ({"id": i + 1, "name": n} for i, n in enumerate(TAGS)))
        bulk_load(conn, Organisation.__table__, (
            {"id": i + 1, "name": people.organisation(i), "type": "school",
             "name_key": fold(people.organisation(i)), "created_at": now, "updated_at": now}
            for i in range(organisations)
        ))  # fmt: skip
        bulk_load(conn, Contact.__table__, _rows(size, now))
        bulk_load(conn, Affiliation.__table__, (
            {"contact_id": n, "organisation_id": rng.randrange(organisations) + 1, "role": None}
            for n in range(1, size + 1) if n % 5 < 2
        ))  # fmt: skip
        bulk_load(conn, contact_tags, (
            {"contact_id": n, "tag_id": n % len(TAGS) + 1} for n in range(1, size + 1) if n % 2
        ))  # fmt: skip
        bulk_load(conn, Donation.__table__, (
            {"contact_id": rng.randrange(size) + 1, "amount_cents": rng.choice([2500, 5000, 10000]),
             "currency": "USD", "status": "succeeded", "method": "card", "covered_fee_cents": 0,
             "refunded_cents": 0, "benefit_cents": 0, "anonymous": False, "disputed": False,
             "received_at": now - timedelta(days=rng.randrange(1800)), "created_at": now,
             "updated_at": now}
            for _ in range(size)
        ))  # fmt: skip
        for table in ("tags", "organisations", "contacts", "affiliations", "donations"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))  # fmt: skip
        db.session.commit()
        # What autovacuum does after a bulk load: statistics, and the trigram indexes'
        # pending entries merged (until then every search reads them one by one).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        db.engine.dispose()


def searches(size: int, samples: int) -> list[tuple[str, str]]:
    """(kind, query) for `samples` people spread over the database."""
    import phonenumbers
    from sqlalchemy import select

    from crm.contacts.models import Affiliation, Contact, Organisation
    from crm.extensions import db

    ids = random.Random(3).sample(range(1, size + 1), samples * 4)
    found = []
    for contact in db.session.scalars(select(Contact).where(Contact.id.in_(ids))):
        found.append(("full name", f"{contact.first_name} {contact.last_name}"))
        found.append(("surname", contact.last_name))
        found.append(("email", contact.email))
        found.append(("email prefix", contact.email[: contact.email.index("@") + 4]))
        if contact.phone:
            number = phonenumbers.parse(contact.phone)
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            found.append(("phone", national))
            found.append(("phone digits", national[-8:]))
    names = db.session.scalars(
        select(Organisation.name).join(Affiliation).where(Affiliation.contact_id.in_(ids))
    )
    found += [("organisation", name) for name in names]
    found.append(("no search", ""))
    by_kind: dict[str, list] = {}
    for kind, query in found:
        if len(by_kind.setdefault(kind, [])) < samples:
            by_kind[kind].append((kind, query))
    return [pair for kind in KINDS_OF_SEARCH for pair in by_kind.get(kind, [])]


class Site:
    """One database's app, a fundraiser signed in to it, and the time its SQL takes."""

    def __init__(self, db_url: str, size: int, samples: int, instance: str):
        from sqlalchemy import event

        from crm.auth import services as accounts
        from crm.auth.roles import Role
        from crm.extensions import db

        self.app, self.sql_seconds, self.statements = _app(db_url, instance), 0.0, 0
        with self.app.app_context():
            user = accounts.create_user("bench@example.org", "Bench", Role.FUNDRAISER,
                                        "bench-password-1")  # fmt: skip
            token = accounts.start_session(user, "127.0.0.1", "bench")
            db.session.commit()
            user_id = user.id
            self.queries = searches(size, samples)
            db.session.remove()
            event.listen(db.engine, "before_cursor_execute", self._started)
            event.listen(db.engine, "after_cursor_execute", self._finished)
        self.client = self.app.test_client()
        with self.client.session_transaction() as sess:
            sess.update({"sid": token, "_user_id": str(user_id), "_fresh": True})

    def _started(self, *args):
        self.statements += 1
        self._start = time.perf_counter()

    def _finished(self, *args):
        self.sql_seconds += time.perf_counter() - self._start

    def get(self, query: str) -> tuple[float, float]:
        """The request's seconds and its SQL's."""
        before, started = self.sql_seconds, time.perf_counter()
        response = self.client.get("/contacts/", query_string={"q": query})
        assert response.status_code == 200
        return time.perf_counter() - started, self.sql_seconds - before

    def page_statements(self) -> int:
        before = self.statements
        self.client.get("/contacts/", query_string={"sort": "newest"})
        return self.statements - before


def measure(urls: list[str], sizes: list[int], samples: int, repeat: int, instance: str) -> None:
    """Time every search on both databases, taking turns so that both share the machine's
    load; print the medians by kind as JSON."""
    sites = [Site(url, size, samples, instance) for url, size in zip(urls, sizes, strict=True)]
    results = [{"request": {}, "sql": {}} for _ in sites]
    for index in range(max(len(site.queries) for site in sites)):
        pairs = [site.queries[index] if index < len(site.queries) else None for site in sites]
        runs = [[] for _ in sites]
        for _ in range(repeat + 1):  # the first run warms the caches
            for site, pair, found in zip(sites, pairs, runs, strict=True):
                if pair is not None:
                    found.append(site.get(pair[1]))
        for pair, found, result in zip(pairs, runs, results, strict=True):
            if pair is not None:
                result["request"].setdefault(pair[0], []).append(
                    statistics.median(r for r, _ in found[1:])
                )
                result["sql"].setdefault(pair[0], []).append(
                    statistics.median(q for _, q in found[1:])
                )
    report = [
        {
            "request": {k: statistics.median(v) for k, v in result["request"].items()},
            "sql": {k: statistics.median(v) for k, v in result["sql"].items()},
            "statements": site.page_statements(),
        }
        for site, result in zip(sites, results, strict=True)
    ]
    print(json.dumps(report))


def _child(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "bench.contacts_search", *args], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout  # fmt: skip


def run(sizes: list[int], samples: int, repeat: int, folder: str) -> list[dict]:
    databases = [Database("postgresql", folder) for _ in sizes]
    instance = str(Path(folder) / "instance")
    try:
        for database, size in zip(databases, sizes, strict=True):
            started = time.perf_counter()
            _child("--load", database.url, str(size), instance)
            print(f"  loaded {size:,} contacts in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)  # fmt: skip
        out = _child("--measure", ",".join(d.url for d in databases),
                     ",".join(map(str, sizes)), str(samples), str(repeat), instance)  # fmt: skip
        return json.loads(out.strip().splitlines()[-1])
    finally:
        for database in databases:
            database.drop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--load", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        load(args.load[0], int(args.load[1]), args.load[2])
        return 0
    if args.measure:
        urls, sizes, samples, repeat, instance = args.measure
        measure(urls.split(","), [int(n) for n in sizes.split(",")], int(samples), int(repeat),
                instance)  # fmt: skip
        return 0
    print(
        f"Contact search through /contacts/?q=... as a fundraiser (PostgreSQL), median of "
        f"{args.samples} people per kind, {args.repeat} runs each, both sizes in turn:"
    )
    with tempfile.TemporaryDirectory(prefix="crm-bench-search-") as folder:
        small, large = run([args.small, args.large], args.samples, args.repeat, folder)
    print(f"{'':<16}{'request ms':>24}{'':>8}{'of which SQL ms':>24}")
    print(f"{'search':<16}{args.small:>10,}{args.large:>12,}{'ratio':>8}"
          f"{args.small:>12,}{args.large:>12,}{'ratio':>8}")  # fmt: skip
    worst = 0.0
    for kind in KINDS_OF_SEARCH:
        if kind not in small["request"] or kind not in large["request"]:
            continue
        a, b = small["request"][kind] * 1000, large["request"][kind] * 1000
        c, d = small["sql"][kind] * 1000, large["sql"][kind] * 1000
        worst = max(worst, b / a)
        print(f"{kind:<16}{a:>10.1f}{b:>12.1f}{b / a:>8.2f}{c:>12.1f}{d:>12.1f}{d / c:>8.2f}")
    print(f"SQL statements for one page of the list: {small['statements']} at "
          f"{args.small:,} contacts, {large['statements']} at {args.large:,}")  # fmt: skip
    met = worst <= GOAL_RATIO and small["statements"] == large["statements"]
    print(f"goal: every kind's request within {GOAL_RATIO:g}× and the same statements: "
          f"{'met' if met else 'NOT met'} (worst ratio {worst:.2f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
