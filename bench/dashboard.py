"""The dashboard's server-side work at 10k and at 1M gifts, in one run, and the ratio.

    python -m bench.dashboard [--small 0.01] [--large 1.0] [--repeat 15]

For each scale it creates a PostgreSQL database, migrates it, fills it with
`flask crm generate-data` (scale 0.01: 10k gifts; 1.0: 1M gifts, 100k contacts, 20k plans,
3k events, 100k registrations), then requests /dashboard as an admin (every tile) in-process
for each period and for one campaign, and keeps the median of --repeat timed requests after a
warm-up. The goal: the large history costs at most 1.5 times the small one. The databases are
dropped at the end.
"""

import argparse
import statistics
import time

from sqlalchemy import text

from bench.support import generated_app, scales_args, scratch_database, signed_in_client

VIEWS = {
    "this month": "/dashboard?period=month",
    "this fiscal year": "/dashboard?period=fy",
    "last fiscal year": "/dashboard?period=last_fy",
    "fiscal year, one campaign": "/dashboard?period=fy&campaign={campaign}",
}
GOAL = 1.5


def parse_args(argv=None) -> argparse.Namespace:
    return scales_args(__doc__, argv, 15, "view")


def measure(scale: float, repeat: int) -> dict[str, float]:
    with scratch_database("crm_bench_dash") as url:
        return _measure_in(url, scale, repeat)


def _measure_in(url: str, scale: float, repeat: int) -> dict[str, float]:
    from crm.auth import services as accounts
    from crm.auth.roles import Role
    from crm.extensions import db

    app = generated_app(url, scale)
    with app.app_context():
        user = accounts.create_user("bench@example.org", "Bench", Role.ADMIN, "bench-password-1")
        token = accounts.start_session(user, "127.0.0.1", "bench")
        campaign = db.session.execute(
            text("SELECT id FROM campaigns WHERE status = 'active' ORDER BY id LIMIT 1")
        ).scalar()
        db.session.commit()
        user_id = user.id
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    client = signed_in_client(app, token, user_id)
    timings = {}
    for label, url_template in VIEWS.items():
        path = url_template.format(campaign=campaign)
        for _ in range(3):  # warm-up: caches, the query plans, the template
            assert client.get(path).status_code == 200
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200
        timings[label] = statistics.median(samples) * 1000
    with app.app_context():
        db.engine.dispose()
    return timings


def main(argv=None) -> int:
    args = parse_args(argv)
    small = measure(args.small, args.repeat)
    large = measure(args.large, args.repeat)
    gifts_small, gifts_large = int(1_000_000 * args.small), int(1_000_000 * args.large)
    print(f"Dashboard, median of {args.repeat} requests as an admin (every tile), in ms:")
    print(f"{'view':<28}{gifts_small:>12,} gifts{gifts_large:>12,} gifts{'ratio':>8}")
    for label in VIEWS:
        ratio = large[label] / small[label]
        print(f"{label:<28}{small[label]:>18.1f}{large[label]:>18.1f}{ratio:>8.2f}")
    total_small, total_large = sum(small.values()), sum(large.values())
    ratio = total_large / total_small
    print(f"{'all views':<28}{total_small:>18.1f}{total_large:>18.1f}{ratio:>8.2f}")
    print(f"goal: ratio <= {GOAL}: {'met' if ratio <= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
