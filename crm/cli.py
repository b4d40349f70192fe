"""`flask crm ...` commands. They call services and commit; they never go through views."""

import logging
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from crm.auth import services as accounts
from crm.auth.passwords import PasswordPolicyError
from crm.auth.roles import Role
from crm.extensions import db

crm_cli = AppGroup("crm", help="CRM administration commands.")


@crm_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of CRM_USER_PASSWORD.",
)
def create_user(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create an active user with a role, non-interactively.

    The password comes from standard input (--password-stdin) or the CRM_USER_PASSWORD
    environment variable; it is never taken as an argument, where it would show in the
    process list and the shell history.
    """
    password = (
        sys.stdin.readline().rstrip("\r\n")
        if password_stdin
        else os.environ.get("CRM_USER_PASSWORD")
    )
    if not password:
        raise click.UsageError(
            "Give the password on stdin (--password-stdin) or in CRM_USER_PASSWORD."
        )
    try:
        user = accounts.create_user(email, name, Role(role), password)
    except (accounts.AccountError, PasswordPolicyError) as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@crm_cli.command("demo-data")
def demo_data() -> None:
    """Load demonstration data (idempotent) and print the admin's sign-in."""
    from crm.demo import load_demo_data

    email, password = load_demo_data()
    db.session.commit()
    click.echo(f"Demo data ready. Sign in as {email} with password: {password}")


@crm_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
def worker(workers: int) -> None:
    """Run the background job worker (mail delivery and periodic retries)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    huey = current_app.extensions["huey"]
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    click.echo(f"Worker started with {workers} threads; Ctrl+C stops it.")
    consumer.run()


@crm_cli.command("send-mail")
def send_mail() -> None:
    """Deliver every outbox message that is due now, without the worker."""
    from crm.mail.services import deliver_due

    sent = deliver_due()
    click.echo(f"Sent {sent} message(s).")


@crm_cli.command("event-reminders")
def event_reminders() -> None:
    """Email reminders for tomorrow's events and thank-yous after the last week's; run it
    daily (or hourly) from cron. Each message goes once per registration."""
    from crm.events.reminders import send_follow_ups, send_reminders

    reminded = send_reminders()
    thanked = send_follow_ups()
    db.session.commit()
    click.echo(f"Queued {reminded} reminder(s) and {thanked} thank-you(s).")


@crm_cli.command("volunteer-reminders")
def volunteer_reminders() -> None:
    """Run hourly from cron: close forgotten check-outs (flagged for review), expire lapsed
    credentials and take their holders off shifts they no longer qualify for, warn of
    credentials expiring in 60 and 30 days, and remind volunteers 48 hours before each shift.
    Each email goes once."""
    from crm.volunteers.reminders import run

    report = run()
    db.session.commit()
    click.echo(
        f"Closed {report.closed} forgotten check-out(s); {report.lapsed} credential(s) lapsed, "
        f"{report.removed} sign-up(s) removed; {report.warned} expiry warning(s) and "
        f"{report.reminded} shift reminder(s) queued."
    )


@crm_cli.command("volunteer-setup")
def volunteer_setup() -> None:
    """Add the standard credential types (background check 2 years, safeguarding training
    1 year, code of conduct, presenter certification) where they are missing."""
    from crm.volunteers.services import ensure_default_credential_types

    added = ensure_default_credential_types()
    db.session.commit()
    click.echo(f"Added {len(added)} credential type(s).")
