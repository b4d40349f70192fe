"""`flask crm retention`, `erase-contact`, `find-duplicates`, `backup` and `verify-backup`."""

import click
from flask import current_app

from crm.cli import crm_cli
from crm.extensions import db


@crm_cli.command("retention")
@click.option("--dry-run", is_flag=True, help="Only list what would be erased.")
@click.option("--rule", "names", multiple=True, help="Run only this rule (repeatable).")
@click.option("--months", type=int, help="Override the rules' ages, in months.")
@click.option(
    "--import-days",
    default=30,
    show_default=True,
    help="Remove uploaded files, rejected rows and conflicts of imports older than this.",
)
@click.option(
    "--stale-days",
    default=14,
    show_default=True,
    type=click.IntRange(min=1),
    help="Discard uploads never imported and untouched for this many days.",
)
def retention(dry_run: bool, names: tuple[str, ...], months: int | None, import_days: int,
              stale_days: int) -> None:  # fmt: skip
    """Erase the personal data that the retention rules say is kept no longer. Run it from
    cron (daily); --dry-run shows what it would do."""
    from crm.dataio import erasers  # noqa: F401  (registers the domains' erasers)
    from crm.dataio.retention import apply, purge_import_leftovers, rules
    from crm.dataio.uploads import discard_stale, orphaned_files, remove_file

    known = {r.name for r in rules()}
    unknown = set(names) - known
    if unknown:
        raise click.UsageError(
            f"Unknown rule(s): {', '.join(sorted(unknown))}. Known: {', '.join(sorted(known))}"
        )
    erased = apply(list(names), months, dry_run, click.echo)
    orphans = orphaned_files(stale_days)  # before the stale batches stop naming their files
    stale, files = discard_stale(stale_days, dry_run)
    purged = purge_import_leftovers(import_days, dry_run)
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run: nothing erased. {stale} stale upload(s) would be discarded, "
                   f"{len(orphans)} orphaned file(s) removed; {purged} old import(s) would "
                   "lose their files.")  # fmt: skip
    else:
        db.session.commit()
        for path in files + orphans:  # only now: a failed commit keeps batches and files
            remove_file(path)
        click.echo(f"Erased {erased} contact(s); discarded {stale} stale upload(s) and "
                   f"{len(orphans)} orphaned file(s); cleared {purged} old import(s).")  # fmt: skip


@crm_cli.command("erase-contact")
@click.argument("contact_id", type=int)
@click.option("--reason", default="request", show_default=True)
def erase_contact_command(contact_id: int, reason: str) -> None:
    """Erase one contact's personal data everywhere (gifts stay, anonymised)."""
    from crm.contacts.models import Contact
    from crm.dataio import erasers  # noqa: F401
    from crm.dataio.privacy import ErasureRefused, erase_contact

    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise click.ClickException(f"No contact #{contact_id}.")
    try:
        erasure = erase_contact(contact, reason)
    except ErasureRefused as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(
        f"Erased contact #{contact_id}."
        + (f" Kept, anonymised: {erasure.kept}." if erasure.kept else "")
    )


@crm_cli.command("find-duplicates")
def find_duplicates_command() -> None:
    """Look through every contact for possible duplicates and queue them for review."""
    from crm.dataio.duplicates import scan

    added = scan()
    db.session.commit()
    click.echo(f"{added} new possible duplicate(s) queued.")


@crm_cli.command("backup")
@click.option("--output", "folder", help="Folder for the backup file (default: BACKUP_DIR).")
def backup_command(folder: str | None) -> None:
    """Back up the database: SQLite with its online backup API, PostgreSQL with pg_dump."""
    from crm.dataio.backup import BackupError, backup

    try:
        path = backup(
            current_app.config["SQLALCHEMY_DATABASE_URI"],
            folder or current_app.config["BACKUP_DIR"],
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {path}")


@crm_cli.command("verify-backup")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def verify_backup_command(path: str) -> None:
    """Restore a backup into a scratch database and read every table, to prove that it can
    be restored. Exits with an error if it cannot."""
    from crm.dataio.backup import BackupError, verify

    try:
        result = verify(path, current_app.config["SQLALCHEMY_DATABASE_URI"])
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"OK: {result.kind} backup at revision {result.revision}, "
               f"{len(result.tables)} tables, {result.rows} rows; it restores.")  # fmt: skip
