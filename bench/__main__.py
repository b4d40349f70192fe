"""`python -m bench`: every benchmark — webhook ingestion, the dashboard at two scales, the
contact import against PostgreSQL COPY, the contacts CSV export, the gifts CSV export beside
it, contact search at 10k and 1M contacts, the donor record and home page at two scales, a
segment at two scales and a mailing of 10k and 100k recipients through the worker (with a
kill -9 half-way).
Each can also run alone: `python -m bench.NAME`."""

from bench import (
    contacts_export,
    contacts_import,
    contacts_search,
    dashboard,
    donor_record,
    gifts_export,
    mailings,
    segments,
    webhooks,
)


def main() -> int:
    for benchmark in (
        lambda: webhooks.main([]),
        lambda: dashboard.main([]),
        lambda: contacts_import.main([]),
        lambda: contacts_export.main([]),
        lambda: gifts_export.main([]),
        lambda: contacts_search.main([]),
        lambda: donor_record.main([]),
        lambda: segments.main([]),
        lambda: mailings.main([]),
    ):
        status = benchmark()
        if status:
            return status
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
