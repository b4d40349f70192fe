"""`python -m bench`: every benchmark — webhook ingestion, the dashboard at two scales, the
contact import against PostgreSQL COPY, the contacts CSV export, and the donor record and
home page at two scales.
Each can also run alone: `python -m bench.NAME`."""

from bench import contacts_export, contacts_import, dashboard, donor_record, webhooks


def main() -> int:
    for benchmark in (
        lambda: webhooks.main([]),
        lambda: dashboard.main([]),
        lambda: contacts_import.main([]),
        lambda: contacts_export.main([]),
        lambda: donor_record.main([]),
    ):
        status = benchmark()
        if status:
            return status
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
