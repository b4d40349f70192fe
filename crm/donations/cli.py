"""`flask crm stripe-reprocess`: run stored Stripe events through their handlers again."""

import click
from flask import current_app
from sqlalchemy import select

from crm.cli import crm_cli
from crm.donations.inbox import Outcome, process
from crm.donations.models import StripeEvent, StripeEventStatus
from crm.extensions import db

NOT_DONE = (
    StripeEventStatus.RECEIVED,
    StripeEventStatus.FAILED,
    StripeEventStatus.WAITING,
    StripeEventStatus.ATTENTION,
)


@crm_cli.command("stripe-reprocess")
@click.argument("event_ids", nargs=-1)
@click.option(
    "--failed", "all_failed", is_flag=True,
    help="Every event not handled yet: failed, waiting, needing attention or still queued.",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Run events that were processed already, too.")
def stripe_reprocess(event_ids: tuple[str, ...], all_failed: bool, force: bool) -> None:
    """Re-process stored Stripe events by id (evt_...), or every one not handled with --failed.

    Handlers are idempotent, so running an event twice changes nothing the second time."""
    if not event_ids and not all_failed:
        raise click.UsageError("Give one or more event ids, or --failed.")
    ids = list(event_ids)
    if all_failed:
        ids += db.session.scalars(
            select(StripeEvent.id)
            .where(StripeEvent.status.in_(NOT_DONE))
            .order_by(StripeEvent.received_at)
        ).all()
    failures = 0
    # Emails carry absolute links built with url_for, which needs a request context.
    with current_app.test_request_context(current_app.config["BASE_URL"]):
        for event_id in ids:
            row = db.session.get(StripeEvent, event_id)
            if row is None:
                click.echo(f"{event_id}: no such event stored", err=True)
                failures += 1
                continue
            kind = row.type
            db.session.rollback()
            outcome = process(event_id, force=force)
            line = f"{event_id} ({kind}): {outcome.value}"
            if outcome not in (Outcome.PROCESSED, Outcome.DUPLICATE):
                failures += 1
                error = db.session.get(StripeEvent, event_id).error
                line += f" - {error or 'see the log'}"
            click.echo(line)
    if failures:
        raise click.ClickException(f"{failures} event(s) not processed")
