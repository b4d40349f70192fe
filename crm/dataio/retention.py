"""Retention rules: each finds the contacts whose data is kept no longer, and the CLI
(`flask crm retention`) erases them. Domains register their own rules (declined volunteer
applications older than N months, for example) with `retention_rule`."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from crm.dataio.models import ConsentRecord, ImportBatch, ImportConflict, ImportRejection
from crm.dataio.privacy import ErasureRefused, erase_contact
from crm.extensions import db
from crm.modelbase import utcnow


@dataclass(frozen=True)
class RetentionRule:
    name: str
    description: str
    months: int  # the default age; the CLI can override it
    find: Callable[[int], Iterable[int]]  # months -> contact ids to erase


_rules: dict[str, RetentionRule] = {}


def retention_rule(name: str, description: str, months: int):
    def decorator(find):
        _rules[name] = RetentionRule(name, description, months, find)
        return find

    return decorator


def rules() -> list[RetentionRule]:
    return list(_rules.values())


def cutoff(months: int):
    return utcnow() - timedelta(days=round(months * 30.44))


@retention_rule(
    "withdrawn-consent",
    "People who withdrew their consent to our keeping their data, that many months ago",
    months=1,
)
def _withdrawn_consent(months: int) -> Iterable[int]:
    latest = (
        select(ConsentRecord.contact_id, func.max(ConsentRecord.id).label("last_id"))
        .where(ConsentRecord.topic == "data_processing")
        .group_by(ConsentRecord.contact_id)
        .subquery()
    )
    query = (
        select(ConsentRecord.contact_id)
        .join(latest, ConsentRecord.id == latest.c.last_id)
        .where(ConsentRecord.granted.is_(False), ConsentRecord.given_at < cutoff(months))
    )
    return list(db.session.scalars(query))


def apply(names: list[str] | None, months: int | None, dry_run: bool, report) -> int:
    """Erase what the rules find (or only report it); returns how many were erased."""
    from crm.contacts.models import Contact

    erased = 0
    for rule in rules():
        if names and rule.name not in names:
            continue
        age = months if months is not None else rule.months
        ids = list(rule.find(age))
        report(f"{rule.name}: {len(ids)} contact(s) — {rule.description} ({age} months)")
        for contact_id in ids:
            contact = db.session.get(Contact, contact_id)
            if contact is None:
                continue
            if dry_run:
                report(f"  would erase contact #{contact_id}")
                continue
            try:
                erase_contact(contact, f"retention: {rule.name}")
                erased += 1
                report(f"  erased contact #{contact_id}")
            except ErasureRefused as exc:
                report(f"  kept contact #{contact_id}: {exc}")
    return erased


def purge_import_leftovers(days: int, dry_run: bool) -> int:
    """Uploaded files, rejected rows and the conflicts listed for review of imports older
    than `days` hold personal data that is not needed any more."""
    from crm.dataio.batches import delete_upload

    old = list(
        db.session.scalars(
            select(ImportBatch).where(ImportBatch.created_at < utcnow() - timedelta(days=days))
        )
    )
    if not dry_run:
        for batch in old:
            delete_upload(batch)
            db.session.query(ImportRejection).filter_by(batch_id=batch.id).delete()
            db.session.query(ImportConflict).filter_by(batch_id=batch.id).delete()
    return len(old)
