"""`python -m bench`: every benchmark (today, webhook ingestion)."""

from bench.webhooks import main

if __name__ == "__main__":
    raise SystemExit(main())
