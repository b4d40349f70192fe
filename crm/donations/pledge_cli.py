"""`flask crm pledge-reminders`: a reminder before each pledge instalment, from cron."""

import click

from crm.cli import crm_cli
from crm.extensions import db


@crm_cli.command("pledge-reminders")
def pledge_reminders() -> None:
    """Email a reminder before each pledge instalment (PLEDGE_REMINDER_DAYS ahead, 7 by
    default); run daily from cron. Each instalment is reminded once."""
    from crm.donations.pledge_reminders import send_reminders

    sent = send_reminders()
    db.session.commit()
    click.echo(f"Queued {sent} pledge reminder(s).")
