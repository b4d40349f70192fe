"""Batches whose worker died: a dry run, an import or an undo whose lease expired (kill -9,
a crash, a machine gone) is taken over, so that no batch stays "running" for ever.

- a dry run wrote nothing: it is marked failed, to be run again;
- an import is taken back in the background (as any failure half-way is) and marked failed,
  with its file kept, to be started again;
- an undo runs in one transaction, so nothing of it happened: a finished import is done
  again (and can be undone again); an interrupted one is queued for its undo again.

The worker looks every minute (`recover_jobs`), and the import's page and actions look too,
so a batch is freed even while no worker runs.
"""

import logging

from sqlalchemy import select

from crm import leases
from crm.dataio.batches import lease_key
from crm.dataio.models import ImportBatch, ImportStatus
from crm.extensions import db
from crm.jobs import enqueue
from crm.modelbase import utcnow

log = logging.getLogger("crm.dataio")
BUSY = (ImportStatus.CHECKING, ImportStatus.RUNNING, ImportStatus.UNDOING)


def stalled(batch: ImportBatch) -> bool:
    """True when the batch is busy and the worker on it stopped renewing its lease."""
    return batch.busy and leases.expired(lease_key(batch))


def recover_if_stalled(batch: ImportBatch) -> bool:
    """Take over the batch if its worker died; True if it was. Commits."""
    if not stalled(batch):
        return False
    try:
        lease = leases.acquire(lease_key(batch))
    except leases.LeaseHeld:  # renewed a moment ago, or taken over by someone else
        return False
    db.session.refresh(batch)
    undo = _take_over(batch)
    db.session.commit()
    log.warning("import %s: its worker stopped; now %s", batch.id, batch.status.value)
    lease.release()  # before queueing: the undo takes the lease itself
    if undo:
        try:
            enqueue("undo_import", batch.id)
        except Exception:
            log.exception("could not queue the undo of import %s", batch.id)
            # A lease nobody renews: it runs out, and the undo is queued again then.
            leases.acquire(lease_key(batch))
    return True


def queue(batch: ImportBatch, job: str, *args) -> bool:
    """Queue the batch's job, just started and committed; if the queue cannot be reached
    (Redis down), put the batch back as it was able to start again, with the reason, rather
    than leave it waiting for a job that does not exist. Commits."""
    try:
        enqueue(job, *args)
        return True
    except Exception:
        log.exception("could not queue %s for import %s", job, batch.id)
    db.session.rollback()
    batch.status = ImportStatus.DONE if job == "undo_import" else ImportStatus.FAILED
    batch.error = "The background worker's queue could not be reached, so nothing started. "
    batch.error += "Try again in a minute."
    db.session.commit()
    return False


def _take_over(batch: ImportBatch) -> bool:
    """Set the batch's state after its worker died; True if its undo must be queued."""
    where = f"at row {batch.rows_done:,} of {batch.rows_total or 0:,}"
    if batch.status == ImportStatus.CHECKING:
        batch.status, batch.finished_at = ImportStatus.FAILED, utcnow()
        batch.error = f"The dry run stopped {where} because its worker stopped. Run it again."
        return False
    if batch.status == ImportStatus.UNDOING and batch.finished_at is not None:
        batch.status = ImportStatus.DONE  # the undo is one transaction: none of it happened
        batch.error = "The undo stopped before the end because its worker stopped; nothing "
        batch.error += "was undone. Undo it again."
        return False
    # An import that never finished (or the undo of one): what it wrote is taken back.
    batch.status = ImportStatus.UNDOING
    batch.error = (
        f"The import stopped {where} because its worker stopped. What it had written is "
        "taken back, so nothing of it is kept; start it again when you are ready."
    )
    return True


def recover_stalled() -> int:
    """Every busy batch whose worker died (the worker's minute job); how many."""
    busy = db.session.scalars(select(ImportBatch).where(ImportBatch.status.in_(BUSY))).all()
    return sum(recover_if_stalled(batch) for batch in busy)
