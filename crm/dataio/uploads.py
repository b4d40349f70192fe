"""Uploads that have not been imported: a few sample values of each column for the mapping
step, and discarding a batch with its file and rows, by the person who uploaded it (or an
admin) or by the retention command once it has lain untouched for a while."""

import os
import re
import time
from datetime import timedelta
from itertools import islice

from sqlalchemy import delete, exists, func, select

from crm.audit.services import record_event
from crm.auth.roles import Role
from crm.dataio import csvfile
from crm.dataio.batches import file_format, file_path, upload_dir
from crm.dataio.models import (
    ImportBatch,
    ImportChange,
    ImportRejection,
    ImportStatus,
    UnmatchedRefund,
)
from crm.extensions import db
from crm.modelbase import utcnow

# Never imported, and no job is reading the file: a failed run took back what it wrote.
DISCARDABLE = (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED)
SAMPLES_PER_COLUMN = 3
SAMPLE_ROWS = 500  # enough to find values in sparse columns, quick on every page view
SAMPLE_CHARS = 40
_SPACES = re.compile(r"\s+")


class DiscardRefused(ValueError):
    """The batch cannot be discarded; the message is for the user."""


def shorten(value: str, limit: int = SAMPLE_CHARS) -> str:
    value = _SPACES.sub(" ", value)
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def sample_values(batch: ImportBatch, per_column: int = SAMPLES_PER_COLUMN,
                  rows: int = SAMPLE_ROWS) -> list[list[str]]:  # fmt: skip
    """Up to `per_column` distinct non-empty values of each column, from the first rows,
    long ones shortened. A broken line ends the search quietly: the preview and the dry run
    are where the file's problems are reported."""
    found: list[list[str]] = [[] for _ in batch.headers]
    try:
        for _, cells in islice(csvfile.records(file_path(batch), file_format(batch)), rows):
            for values, cell in zip(found, cells, strict=False):
                value = shorten(cell) if cell else ""
                if value and len(values) < per_column and value not in values:
                    values.append(value)
            if all(len(values) == per_column for values in found):
                break
    except csvfile.FileProblem:
        pass
    return found


def refusal(batch: ImportBatch, user) -> str | None:
    """Why `user` may not discard the batch now, or None."""
    if batch.status in (ImportStatus.DONE, ImportStatus.UNDONE):
        done = batch.status == ImportStatus.DONE
        instead = "undo it instead" if done else "it is kept as a record"
        return f"Import #{batch.id} was imported, so it cannot be discarded: {instead}."
    if batch.busy:
        return (
            f"Import #{batch.id} is being read right now (a dry run, an import or an undo). "
            "Wait until it has finished, then discard it."
        )
    if batch.created_by_id not in (None, user.id) and not user.has_role(Role.ADMIN):
        return (
            f"Only {batch.created_by.name}, who uploaded import #{batch.id}, or an admin can "
            "discard it."
        )
    return None


def discard(batch: ImportBatch, user) -> str | None:
    """Delete a batch that was never imported, with its rejected rows. Returns the path of
    its stored file, for the caller to remove once the deletion is committed (removed
    earlier, a failed commit would leave a batch without its file)."""
    # Lock the row and read it again: a dry run started a moment ago is seen, and one
    # starting now waits for this transaction.
    locked = db.session.scalar(
        select(ImportBatch)
        .where(ImportBatch.id == batch.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise DiscardRefused(f"Import #{batch.id} has been discarded already.")
    reason = refusal(batch, user)
    if reason is None and _has_written(batch):
        reason = f"Import #{batch.id} has written records, so it cannot be discarded."
    if reason:
        raise DiscardRefused(reason)
    return _delete(batch, "Discarded an upload")


def _has_written(batch: ImportBatch) -> bool:
    """Whether records the batch wrote are kept: changes to take back, or refunds it could
    not match (money on the books until linked)."""
    return db.session.scalar(
        select(
            exists().where(ImportChange.batch_id == batch.id)
            | exists().where(UnmatchedRefund.batch_id == batch.id)
        )
    )


def _delete(batch: ImportBatch, summary: str) -> str | None:
    path = file_path(batch) if batch.stored_name else None
    record_event("import_discarded", "ImportBatch", batch.id,
                 {"kind": batch.kind.value, "status": batch.status.value},
                 summary=summary)  # fmt: skip
    db.session.execute(delete(ImportRejection).where(ImportRejection.batch_id == batch.id))
    db.session.delete(batch)
    db.session.flush()
    return path


def remove_file(path: str | None) -> None:
    if path:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def discard_stale(days: int, dry_run: bool) -> tuple[int, list[str]]:
    """Batches never imported and untouched (no upload, dry run or failure) for `days`:
    how many, and the files to remove once their deletion is committed."""
    last_touched = func.coalesce(ImportBatch.finished_at, ImportBatch.created_at)
    query = select(ImportBatch).where(
        ImportBatch.status.in_(DISCARDABLE),
        last_touched < utcnow() - timedelta(days=days),
        ~exists().where(ImportChange.batch_id == ImportBatch.id),
        ~exists().where(UnmatchedRefund.batch_id == ImportBatch.id),
    )
    stale = list(db.session.scalars(query))
    if dry_run:
        return len(stale), []
    paths = [_delete(batch, "Discarded a stale upload") for batch in stale]
    return len(stale), [p for p in paths if p]


def orphaned_files(days: int) -> list[str]:
    """Stored files that no batch names, older than `days`: left by a request that stopped
    between committing and removing its file, or between storing an upload and its batch."""
    named = set(db.session.scalars(select(ImportBatch.stored_name)))
    before = time.time() - days * 86400
    return [str(path) for path in sorted(upload_dir().glob("*.csv"))
            if path.name not in named and path.stat().st_mtime < before]  # fmt: skip
