"""`python -m bench`: every benchmark (webhook ingestion, then the dashboard at two scales)."""

from bench import dashboard, webhooks

if __name__ == "__main__":
    status = webhooks.main()
    raise SystemExit(status or dashboard.main([]))
