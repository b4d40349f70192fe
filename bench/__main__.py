"""`python -m bench`: every benchmark (webhook ingestion, contact import)."""

from bench import contacts_import, webhooks


def main() -> int:
    status = webhooks.main([])
    return status or contacts_import.main([])


if __name__ == "__main__":
    raise SystemExit(main())
