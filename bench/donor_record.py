"""The donor record and the home page at 10k and at 1M gifts, in one run, and the ratio.

    python -m bench.donor_record [--small 0.01] [--large 1.0] [--repeat 9]

For each scale it creates a PostgreSQL database, migrates it and fills it with
`flask crm generate-data` (scale 1.0: 100k contacts, 1M gifts, 5k households, 5k pledges,
2k tasks, every gift's thank-you), adds one donor with 2,000 gifts, then requests, in-process:
that donor's page (everything, gifts only, and the 40th page of gifts), a typical donor's
page, the home page of each staff role, and the lists of gifts to thank, pledges, tasks and
households. It prints the median of --repeat timed requests after a warm-up, the number of
SQL statements each request sent, and the ratio of the large history to the small one
(goal: at most 1.5, and the same statements at both scales). The databases are dropped.
"""

import argparse
import re
import statistics
import time
from datetime import timedelta

from sqlalchemy import event, insert, text

from bench.support import generated_app, scales_args, scratch_database, signed_in_client

ROLES = ("admin", "fundraiser", "coordinator")
GOAL = 1.5
BIG_DONOR_GIFTS = 2_000


def parse_args(argv=None) -> argparse.Namespace:
    return scales_args(__doc__, argv, 9, "page")


def views(big: int, typical: int) -> dict[str, tuple[str, str]]:
    """label -> (role, path)."""
    return {
        "donor, 2,000 gifts": ("admin", f"/contacts/{big}"),
        "donor, gifts only": ("fundraiser", f"/contacts/{big}?kind=gifts"),
        "donor, 40th page": ("fundraiser", f"/contacts/{big}?kind=gifts&before={{cursor}}"),
        "typical donor": ("admin", f"/contacts/{typical}"),
        "home, fundraiser": ("fundraiser", "/"),
        "home, coordinator": ("coordinator", "/"),
        "home, admin": ("admin", "/"),
        "gifts to thank": ("fundraiser", "/donations/thanks/"),
        "pledges": ("fundraiser", "/donations/pledges/?status=&sort=next_due"),
        "overdue pledges": ("fundraiser", "/donations/pledges/?overdue=overdue"),
        "tasks": ("coordinator", "/tasks/?who=all&status=all"),
        "households": ("admin", "/households/"),
    }


def measure(scale: float, repeat: int) -> dict[str, tuple[float, int]]:
    with scratch_database("crm_bench_record") as url:
        return _measure_in(url, scale, repeat)


def _prepare() -> tuple[dict, int, int]:
    from crm.auth import services as accounts
    from crm.auth.roles import Role
    from crm.contacts import services as contacts
    from crm.extensions import db

    sessions = {}
    for role in ROLES:
        user = accounts.create_user(f"bench-{role}@example.org", role, Role(role), "bench-pw-12345")
        sessions[role] = (accounts.start_session(user, "127.0.0.1", "bench"), user.id)
    big = contacts.create_contact({"first_name": "Big", "last_name": "Donor"})
    db.session.flush()
    _load_gifts(big.id)
    typical = db.session.execute(  # the donor of the gift in the middle of the history
        text(
            "SELECT contact_id FROM donations WHERE id >= "
            "(SELECT (min(id) + max(id)) / 2 FROM donations) ORDER BY id LIMIT 1"
        )  # fmt: skip
    ).scalar()
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return sessions, big.id, typical


def _load_gifts(contact_id: int) -> None:
    from crm.donations.models import Donation
    from crm.extensions import db
    from crm.modelbase import utcnow

    now = utcnow()
    rows = [
        {"contact_id": contact_id, "amount_cents": 2_500, "currency": "USD", "status": "succeeded",
         "method": "card", "received_at": now - timedelta(hours=8 * i + 1), "covered_fee_cents": 0,
         "refunded_cents": 0, "benefit_cents": 0, "anonymous": False, "disputed": False,
         "created_at": now, "updated_at": now}
        for i in range(BIG_DONOR_GIFTS)
    ]  # fmt: skip
    db.session.execute(insert(Donation), rows)


def _measure_in(url: str, scale: float, repeat: int) -> dict[str, tuple[float, int]]:
    from crm.extensions import db

    app = generated_app(url, scale)
    with app.app_context():
        sessions, big, typical = _prepare()
        engine = db.engine
    clients = {role: signed_in_client(app, *session) for role, session in sessions.items()}
    cursor = _cursor_of_page(clients["fundraiser"], f"/contacts/{big}?kind=gifts", 40)
    results = {}
    for label, (role, path) in views(big, typical).items():
        results[label] = _time(clients[role], path.format(cursor=cursor), repeat, engine)
    with app.app_context():
        db.engine.dispose()
    return results


def _cursor_of_page(client, path: str, page: int) -> str:
    url = path
    for _ in range(page - 1):
        found = re.search(r'rel="next" href="[^"]*before=([^&"#]+)', client.get(url).text)
        url = f"{path}&before={found.group(1)}"
    return url.rsplit("before=", 1)[1]


def _time(client, path: str, repeat: int, engine) -> tuple[float, int]:
    for _ in range(3):  # warm-up: caches, the query plans, the templates
        assert client.get(path).status_code == 200, path
    sent = []

    def count(*args):
        sent.append(1)

    event.listen(engine, "before_cursor_execute", count)
    assert client.get(path).status_code == 200
    event.remove(engine, "before_cursor_execute", count)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(samples) * 1000, len(sent)


def main(argv=None) -> int:
    args = parse_args(argv)
    small = measure(args.small, args.repeat)
    large = measure(args.large, args.repeat)
    gifts_small, gifts_large = int(1_000_000 * args.small), int(1_000_000 * args.large)
    print(f"Donor record and home page, median of {args.repeat} requests, in ms "
          "(SQL statements per request):")  # fmt: skip
    print(f"{'page':<22}{gifts_small:>12,} gifts{gifts_large:>14,} gifts{'ratio':>8}")
    worst, same = 0.0, True
    for label in small:
        (ms_s, n_s), (ms_l, n_l) = small[label], large[label]
        ratio = ms_l / ms_s
        worst, same = max(worst, ratio), same and n_s == n_l
        print(f"{label:<22}{ms_s:>10.1f} ({n_s:>2}){ms_l:>12.1f} ({n_l:>2}){ratio:>8.2f}")
    total_small = sum(ms for ms, _ in small.values())
    total_large = sum(ms for ms, _ in large.values())
    ratio = total_large / total_small
    print(f"{'all pages':<22}{total_small:>15.1f}{total_large:>17.1f}{ratio:>8.2f}")
    verdict = "met" if ratio <= GOAL else "NOT met"
    print(f"goal: ratio <= {GOAL}: {verdict} (worst page {worst:.2f}); "
          f"statements the same at both scales: {'yes' if same else 'NO'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
