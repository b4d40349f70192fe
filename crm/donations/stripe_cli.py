"""`flask crm stripe-check`: is the Stripe webhook endpoint subscribed to every event the CRM
needs, and does the signing secret match Stripe's?"""

from datetime import timedelta

import click
from flask import current_app
from sqlalchemy import func, select

from crm.cli import crm_cli
from crm.donations.events import HANDLERS, REQUIRED_EVENTS
from crm.donations.ledger_models import WebhookRefusal
from crm.donations.models import StripeEvent
from crm.extensions import db
from crm.formats import format_datetime
from crm.modelbase import utcnow
from crm.payments import lookups
from crm.payments.payloads import timestamp

SETTLE = timedelta(minutes=10)  # Stripe delivers within seconds; older pending ones failed


@crm_cli.command("stripe-check")
@click.option("--url", help="The endpoint's address (default: BASE_URL/webhooks/stripe).")
def stripe_check(url: str | None) -> None:
    """Check the Stripe webhook endpoint: the events it is missing and whether the signing
    secret (STRIPE_WEBHOOK_SECRET) matches the one Stripe signs with. Exits 1 on a problem."""
    config = current_app.config
    url = (url or config["BASE_URL"].rstrip("/") + "/webhooks/stripe").rstrip("/")
    if not config.get("STRIPE_SECRET_KEY"):
        raise click.ClickException("STRIPE_SECRET_KEY is not set: nothing can be checked.")
    try:
        endpoints = [e for e in lookups.webhook_endpoints() if e["url"].rstrip("/") == url]
    except lookups.LookupFailed as exc:
        raise click.ClickException(f"Stripe did not answer: {exc}") from exc
    problems = _check_endpoints(url, endpoints) + _check_secret(config)
    if problems:
        raise click.ClickException(f"{problems} problem(s) found (see above).")
    click.echo("All good.")


def _check_endpoints(url: str, endpoints: list[dict]) -> int:
    if not endpoints:
        click.echo(f"No webhook endpoint in Stripe sends to {url}. Add one (Developers > "
                   "Webhooks) with the events listed in the README.")  # fmt: skip
        return 1
    problems = 0
    for endpoint in endpoints:
        enabled = set(endpoint.get("enabled_events") or [])
        click.echo(f"Endpoint {endpoint['id']} -> {endpoint['url']} ({endpoint.get('status')})")
        if endpoint.get("status") != "enabled":
            click.echo("  It is disabled: Stripe sends it nothing.")
            problems += 1
        missing = [] if "*" in enabled else [e for e in REQUIRED_EVENTS if e not in enabled]
        for name in missing:
            click.echo(f"  missing: {name}")
        problems += len(missing)
        if "*" in enabled:
            click.echo("  It receives every event type; the CRM stores only those it uses.")
        extra = sorted(e for e in enabled - {"*"} if e not in HANDLERS)
        if extra:
            click.echo(f"  not needed (acknowledged and not stored): {', '.join(extra)}")
        if not missing:
            click.echo(f"  all {len(REQUIRED_EVENTS)} events the CRM needs are enabled.")
    return problems


def _check_secret(config) -> int:
    secret = config.get("STRIPE_WEBHOOK_SECRET") or ""
    if not secret.startswith("whsec_"):
        click.echo("STRIPE_WEBHOOK_SECRET is not set, or is not a signing secret (whsec_...).")
        return 1
    try:
        recent = lookups.recent_events(list(REQUIRED_EVENTS))
    except lookups.LookupFailed as exc:
        click.echo(f"Could not list Stripe's recent events: {exc}")
        return 1
    cutoff = utcnow() - SETTLE
    settled = [e for e in recent if (timestamp(e.get("created")) or cutoff) <= cutoff]
    ids = [e["id"] for e in settled]
    stored = set(db.session.scalars(select(StripeEvent.id).where(StripeEvent.id.in_(ids))))
    missing = [e for e in settled if e["id"] not in stored]
    refused, last = _refusals()
    if not settled:
        click.echo("Signing secret: no events of the needed types yet to judge by. "
                   + _refusal_words(refused, last))  # fmt: skip
        return 1 if refused and not _stored_any() else 0
    if not missing:
        click.echo(f"Signing secret works: the last {len(settled)} events Stripe sent were "
                   "received and verified.")  # fmt: skip
        return 0
    if refused:
        click.echo(f"Signing secret does NOT match: {len(missing)} of Stripe's last "
                   f"{len(settled)} events never arrived verified, and "
                   + _refusal_words(refused, last))  # fmt: skip
    else:
        click.echo(
            f"{len(missing)} of Stripe's last {len(settled)} events never reached the CRM "
            "(none was refused for its signature): is the endpoint reachable?"
        )
    return 1


def _stored_any() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(StripeEvent)))


def _refusals(days: int = 7) -> tuple[int, WebhookRefusal | None]:
    since = (utcnow() - timedelta(days=days)).date().isoformat()
    rows = db.session.scalars(
        select(WebhookRefusal).where(WebhookRefusal.day >= since).order_by(WebhookRefusal.day)
    ).all()
    return sum(r.count for r in rows), (rows[-1] if rows else None)


def _refusal_words(refused: int, last: WebhookRefusal | None) -> str:
    if not refused:
        return "No delivery was refused for a bad signature in the last 7 days."
    return (f"{refused} deliveries were refused for a bad signature in the last 7 days, the "
            f"last at {format_datetime(last.last_at)} ({last.last_reason}).")  # fmt: skip
