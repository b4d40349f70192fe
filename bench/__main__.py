"""`python -m bench`: every benchmark — webhook ingestion, the dashboard at two scales, the
contact import against PostgreSQL COPY, the contacts CSV export, a segment at two scales and
a mailing of 10k and 100k recipients through the worker (with a kill -9 half-way).
Each can also run alone: `python -m bench.NAME`."""

from bench import contacts_export, contacts_import, dashboard, mailings, segments, webhooks


def main() -> int:
    for benchmark in (
        lambda: webhooks.main([]),
        lambda: dashboard.main([]),
        lambda: contacts_import.main([]),
        lambda: contacts_export.main([]),
        lambda: segments.main([]),
        lambda: mailings.main([]),
    ):
        status = benchmark()
        if status:
            return status
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
