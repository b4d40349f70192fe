"""`python -m bench`: every benchmark — webhook ingestion, the dashboard at two scales, and the
contact import against PostgreSQL COPY. Each can also run alone: `python -m bench.NAME`."""

from bench import contacts_import, dashboard, webhooks


def main() -> int:
    for benchmark in (
        lambda: webhooks.main([]),
        lambda: dashboard.main([]),
        lambda: contacts_import.main([]),
    ):
        status = benchmark()
        if status:
            return status
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
