"""`flask crm bounces` and `flask crm send-mailings`."""

import click

from crm.cli import crm_cli
from crm.extensions import db


@crm_cli.command("bounces")
@click.argument("mailbox", type=click.Path(exists=True))
@click.option("--keep", is_flag=True, help="Leave the messages in the mailbox once read.")
def bounces(mailbox: str, keep: bool) -> None:
    """Read delivery-status notifications (RFC 3464), spam complaints (ARF) and unsubscribe
    requests from MAILBOX (a Maildir folder or an mbox file): bounced addresses are suppressed,
    complaints and requests unsubscribe. Each message is removed once its outcome is saved;
    reading one twice changes nothing. Run it from cron, every few minutes."""
    from crm.outreach.bounces import read_mailbox

    counts = read_mailbox(mailbox, db.session.commit, keep=keep)
    read = counts.pop("messages read", 0)
    details = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing to do"
    click.echo(f"Read {read} message(s): {details}.")


@crm_cli.command("send-mailings")
def send_mailings() -> None:
    """Start scheduled mailings whose time has come and send every mailing that has
    recipients due, in this process (the worker does the same every minute)."""
    from crm.outreach import mailings, sending

    due = mailings.start_due()
    db.session.commit()
    for mailing_id in due:
        outcome = sending.run(mailing_id)
        click.echo(f"Mailing {mailing_id}: {outcome}.")
    click.echo(f"{len(due)} mailing(s) needed sending.")
