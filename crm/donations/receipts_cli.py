"""`flask crm statements --year 2026`: the year-end statements run.

Each donor gets a transaction of its own: the statement row, its `emailed_at` and the outbox
message commit together. A crash between donors leaves every finished donor sent and every
other one untouched, and a re-run skips whoever was already emailed.
"""

import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import click
from flask import current_app
from sqlalchemy.exc import IntegrityError

from crm import leases
from crm.cli import crm_cli
from crm.contacts.models import Contact
from crm.donations.receipts import public_url
from crm.donations.services import DonationError
from crm.donations.statements import Outcome, check_year, donor_ids, statement_for_donor
from crm.extensions import db

log = logging.getLogger("crm.donations")

PROGRESS_EVERY = 25  # donors between counter lines when the output is not a terminal


@dataclass
class RunReport:
    year: int
    dry_run: bool
    donors: int = 0
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    without_email: list[Contact] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


@crm_cli.command("statements")
@click.option("--year", required=True, type=int, help="The tax year, e.g. 2026.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; write and send nothing.")
def statements(year: int, dry_run: bool) -> None:
    """Email every donor of YEAR their year-end giving statement.

    Each donor gets one statement per year, emailed once: a re-run (after a crash, or to catch
    late gifts) skips everyone already emailed. Donors without an email address are listed so
    that staff can post the PDF.
    """
    try:
        check_year(year)
    except DonationError as exc:
        raise click.BadParameter(str(exc), param_hint="'--year'") from exc
    click.echo(f"Year-end statements {year}{' (dry run: nothing is written or sent)' * dry_run}")
    ids = donor_ids(year)
    db.session.rollback()  # end the read; each donor gets a transaction of its own
    report = RunReport(year=year, dry_run=dry_run, donors=len(ids))
    lease = None if dry_run else _take_lease(year)
    try:
        for contact_id in _progress(ids):
            try:
                _run_donor(contact_id, report, lease)
            except leases.LeaseLost as exc:
                raise click.ClickException(f"Stopped: {exc}") from exc
            except Exception as exc:  # one bad record must not stop the other donors'
                db.session.rollback()
                log.exception("statement %s for contact %s failed", year, contact_id)
                report.failed.append((contact_id, f"{type(exc).__name__}: {exc}"[:200]))
    finally:
        if lease is not None:
            lease.release()
    _summarise(report)
    if report.failed:
        raise click.ClickException(
            f"{len(report.failed)} statement(s) failed (see above). Fix the cause and run the "
            "command again: nobody already emailed is emailed twice."
        )


def _take_lease(year: int) -> leases.Lease:
    """One run of a year at a time; a run whose process died (its lease ran out) is taken
    over, and resumed: whoever it emailed is skipped."""
    try:
        lease = leases.acquire(f"statements:{year}")
    except leases.LeaseHeld as exc:
        raise click.ClickException(
            f"A run of the {year} statements is going already: {exc} Let it finish. A run "
            "whose process died is taken over once it has stopped renewing its lease "
            f"({current_app.config['JOB_LEASE_SECONDS']} seconds)."
        ) from exc
    if lease.previous is not None:
        click.echo(
            f"An earlier run stopped half-way ({lease.previous.holder}, last seen "
            f"{lease.previous.renewed_at:%Y-%m-%d %H:%M} UTC); carrying on where it stopped: "
            "nobody it emailed is emailed again."
        )
    return lease


def _run_donor(contact_id: int, report: RunReport, lease: leases.Lease | None) -> None:
    """One donor, one transaction (with the run's lease); a clash with a parallel run is
    retried once."""
    for attempt in (1, 2):
        try:
            contact = db.session.get(Contact, contact_id)
            outcome = statement_for_donor(contact, report.year, dry_run=report.dry_run)
            if report.dry_run:
                db.session.rollback()
            else:
                if lease is not None:
                    lease.renew()
                db.session.commit()
        except IntegrityError:  # the other run created the row first: now it is found
            db.session.rollback()
            if attempt == 2:
                raise
            continue
        report.counts[outcome] += 1
        if outcome == Outcome.NO_EMAIL:
            report.without_email.append(contact)
        return


def _progress(ids: list[int]) -> Iterator[int]:
    if sys.stdout.isatty():
        with click.progressbar(ids, label="Statements", show_pos=True) as bar:
            yield from bar
        return
    for done, contact_id in enumerate(ids, start=1):
        yield contact_id
        if done % PROGRESS_EVERY == 0 or done == len(ids):
            click.echo(f"  {done}/{len(ids)} donors")


def _summarise(report: RunReport) -> None:
    counts = report.counts
    verb = "Would email" if report.dry_run else "Emailed"
    click.echo(
        f"{report.donors} donor(s) gave in {report.year}. {verb} {counts[Outcome.SENT]}; "
        f"already emailed before: {counts[Outcome.ALREADY_SENT]}; "
        f"without an email address: {counts[Outcome.NO_EMAIL]}."
    )
    if report.without_email:
        click.echo("Donors without an email address (post their statement):")
        for contact in report.without_email:
            url = public_url(
                "donations.statement_pdf_staff", contact_id=contact.id, year=report.year
            )
            click.echo(f"  #{contact.id} {contact.full_name}: {url}")
    for contact_id, error in report.failed:
        click.echo(f"  failed: contact #{contact_id}: {error}", err=True)
