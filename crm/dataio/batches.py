"""Import batches: the stored upload, the dry run and the import (both run as background
jobs, committing progress every chunk), the rejected rows and the undo of a whole batch."""

import gc
import logging
import os
import secrets
from datetime import date, datetime
from functools import partial
from itertools import islice
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from crm import leases
from crm.audit.services import record_event
from crm.contacts.models import Affiliation, Contact, Note, Organisation
from crm.dataio import contact_extras, csvfile, gift_names
from crm.dataio.contact_import import ContactImporter, derive, update_contacts
from crm.dataio.fields import CONTACT_FIELDS as FIELD_LABELS
from crm.dataio.gift_import import GiftImporter
from crm.dataio.gift_refunds import undo_refunds
from crm.dataio.models import (
    ConsentRecord,
    ExternalId,
    ImportBatch,
    ImportChange,
    ImportConflict,
    ImportKind,
    ImportRejection,
    ImportStatus,
    UnmatchedRefund,
)
from crm.dataio.seen import SeenKeys
from crm.dataio.suggest import sample_columns, suggest
from crm.dataio.writer import ChunkWriter
from crm.donations.models import Campaign, Donation, Fund
from crm.extensions import db
from crm.formats import plural
from crm.modelbase import utcnow

log = logging.getLogger("crm.dataio")
CHUNK_ROWS = 5000
COLLECT_EVERY = 20  # chunks between garbage collections while an import runs
PREVIEW_ROWS = 10
IMPORTERS = {ImportKind.CONTACTS: ContactImporter, ImportKind.GIFTS: GiftImporter}
TABLES = {"contact": Contact, "donation": Donation, "external_id": ExternalId,
          "consent": ConsentRecord, "organisation": Organisation, "affiliation": Affiliation,
          "note": Note, "campaign": Campaign, "fund": Fund,
          "unmatched_refund": UnmatchedRefund}  # fmt: skip


class ImportError_(ValueError):
    """An import action that cannot be done now; the message is for the user."""


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(exist_ok=True)
    return path


def file_path(batch: ImportBatch) -> str:
    return str(upload_dir() / batch.stored_name)


def store_upload(stream, filename: str) -> tuple[str, int]:
    """Copy the upload to disk in pieces, refusing files above IMPORT_MAX_BYTES."""
    limit = current_app.config["IMPORT_MAX_BYTES"]
    name = secrets.token_hex(16) + ".csv"
    path = upload_dir() / name
    size = 0
    with open(path, "wb") as out:
        while piece := stream.read(1 << 20):
            size += len(piece)
            if size > limit:
                out.close()
                path.unlink()
                raise csvfile.FileProblem(
                    f"The file is larger than {limit // (1 << 20)} MB; split it into parts."
                )
            out.write(piece)
    return name, size


def create_batch(kind: ImportKind, stream, filename: str, encoding: str, delimiter: str, user):
    """Store the upload and read its header; a file that cannot be read is removed."""
    name, size = store_upload(stream, filename)
    path = str(upload_dir() / name)
    try:
        fmt = csvfile.sniff(path, encoding, delimiter)
        headers = csvfile.header_names(csvfile.read_header(path, fmt))
        columns = sample_columns(path, fmt, len(headers))
    except csvfile.FileProblem:
        os.unlink(path)
        raise
    batch = ImportBatch(
        kind=kind, filename=filename[:255] or "upload.csv", stored_name=name, size_bytes=size,
        encoding=fmt.encoding, delimiter=fmt.delimiter, headers=headers, options={},
        mapping=suggest(kind, headers, columns), created_by_id=user.id if user else None,
    )  # fmt: skip
    db.session.add(batch)
    db.session.flush()
    return batch


def file_format(batch: ImportBatch) -> csvfile.CsvFormat:
    return csvfile.CsvFormat(batch.encoding, batch.delimiter)


def preview(
    batch: ImportBatch, limit: int = PREVIEW_ROWS
) -> list[tuple[int, list[str], list[str]]]:
    """The first rows as (line, cells, problems)."""
    seen = SeenKeys()
    try:
        importer = IMPORTERS[batch.kind](batch, seen, dry_run=True)
        rows = islice(csvfile.records(file_path(batch), file_format(batch)), limit)
        return [(line, cells, importer.preview(line, cells).problems) for line, cells in rows]
    finally:
        seen.close()


def unknown_names(batch: ImportBatch) -> dict[str, list[str]]:
    """A gift file's campaign and fund names that match none here (kind -> names)."""
    if batch.kind is not ImportKind.GIFTS:
        return {}
    return gift_names.unknown_names(batch, file_path(batch), file_format(batch))


# --- running ------------------------------------------------------------------------------


def lease_key(batch: ImportBatch) -> str:
    return f"import:{batch.id}"


def start(batch: ImportBatch, dry_run: bool) -> None:
    allowed = (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED)
    if batch.status not in allowed or not batch.stored_name:
        raise ImportError_("This import has already run.")
    batch.status = ImportStatus.CHECKING if dry_run else ImportStatus.RUNNING
    batch.rows_done, batch.rows_total, batch.error = 0, None, None
    db.session.flush()


def run(batch_id: int, dry_run: bool) -> None:
    """The job, under the batch's lease: renewed with every chunk committed, so that a
    worker killed half-way is noticed and its batch taken back (crm.dataio.recovery)."""
    wanted = ImportStatus.CHECKING if dry_run else ImportStatus.RUNNING
    _under_lease(batch_id, wanted, _run, dry_run)


def _under_lease(batch_id: int, wanted: ImportStatus, job, *args) -> None:
    """Run job(batch, *args, lease) if the batch is still waiting for it and no other worker
    holds its lease; a lease lost half-way (taken over after this worker went silent for
    too long) stops the job, its uncommitted step rolled back."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.status != wanted:  # discarded, or taken back meanwhile
        log.warning("import %s is not %s; nothing done", batch_id, wanted.value)
        return
    try:
        lease = leases.acquire(lease_key(batch))
    except leases.LeaseHeld:
        log.warning("import %s is %s in another worker already", batch_id, wanted.value)
        return
    try:
        job(batch, *args, lease)
    except leases.LeaseLost:
        db.session.rollback()
        log.warning("import %s was taken over by another worker; stopped", batch_id)
    finally:
        lease.release()


def _run(batch: ImportBatch, dry_run: bool, lease: leases.Lease) -> None:
    """Read the whole file once (a broken file stops here, before any write), then import
    it chunk by chunk, committing each with the progress. If anything fails half-way, what
    was written is undone, so a batch is imported whole or not at all.

    A large file is read and normalised by a second process, which starts while this one
    counts the rows, and (on PostgreSQL) each chunk is written while the next is matched."""
    batch_id = batch.id
    path, fmt = file_path(batch), file_format(batch)
    seen = SeenKeys()
    importer = IMPORTERS[batch.kind](batch, seen, dry_run)
    parallel = batch.size_bytes >= current_app.config["IMPORT_PARALLEL_BYTES"]
    chunks = importer.chunks(partial(csvfile.records, path, fmt), CHUNK_ROWS, parallel)
    collecting = gc.isenabled()
    gc.freeze()  # the application's objects need no collecting while a million rows go by,
    gc.disable()  # and the import's are freed chunk by chunk (with a collection now and then)
    try:
        try:
            batch.rows_total = csvfile.count_rows(path, fmt)
        except csvfile.FileProblem as exc:
            return _fail(batch, str(exc))
        db.session.execute(delete(ImportRejection).where(ImportRejection.batch_id == batch.id))
        lease.renew(force=True)
        db.session.commit()
        try:
            with ChunkWriter(importer.threaded) as writer:
                for number, chunk in enumerate(chunks, 1):
                    if number % COLLECT_EVERY == 0:
                        gc.collect()  # the few cycles the chunks left; the app's are frozen
                    write = importer.process(chunk)
                    rejections, importer.rejections = importer.rejections, []
                    writer.submit(_write_chunk, batch, write, len(chunk),
                                  dict(importer.counts), rejections, lease)  # fmt: skip
        except leases.LeaseLost:
            raise  # another process has taken the batch over: leave it alone
        except Exception as exc:
            db.session.rollback()
            log.exception("import %s failed", batch_id)
            message = (
                str(exc)
                if isinstance(exc, csvfile.FileProblem)
                else "An unexpected error stopped the import."
            )
            _undo_changes(batch)
            return _fail(batch, message)
    finally:
        chunks.close()
        if collecting:
            gc.enable()
        gc.unfreeze()
        importer.close()
        seen.close()
    lease.renew(force=True)
    _finish(batch, importer, dry_run)


def _write_chunk(batch, write, rows: int, counts: dict, rejections, lease) -> None:
    """A chunk's writes, its rejected rows, the progress and the lease, committed together."""
    if write is not None:
        write()
    if rejections:
        db.session.add_all(
            ImportRejection(batch_id=batch.id, line=line, reason=reason[:500], values=cells)
            for line, reason, cells in rejections
        )
    batch.rows_done += rows
    batch.counts = counts
    lease.renew()
    db.session.commit()


def _finish(batch: ImportBatch, importer, dry_run: bool) -> None:
    batch.counts = dict(importer.counts)
    batch.finished_at = utcnow()
    if dry_run:
        batch.dry_run_counts = dict(importer.counts)
        batch.status = ImportStatus.CHECKED
    else:
        batch.status = ImportStatus.DONE
        delete_upload(batch)  # the rows are in the database now; the file holds personal data
        record_event(
            "import",
            "ImportBatch",
            batch.id,
            {"kind": batch.kind.value, **batch.counts},
            actor_id=batch.created_by_id,
            summary=f"Imported {batch.kind.label.lower()}",
        )
    db.session.commit()


def _fail(batch: ImportBatch, message: str) -> None:
    batch.status = ImportStatus.FAILED
    batch.error = message[:500]
    batch.finished_at = utcnow()
    db.session.commit()


# --- undo -----------------------------------------------------------------------------------


def start_undo(batch: ImportBatch) -> None:
    if batch.status not in (ImportStatus.DONE, ImportStatus.INTERRUPTED):
        raise ImportError_("Only a finished import can be undone.")
    edited = _edited_since(batch)
    if edited:
        raise ImportError_(
            f"{plural(edited, 'contact')} this import updated have been edited since; undoing "
            "would lose those edits. Undo them by hand, or edit them back first."
        )
    batch.status = ImportStatus.UNDOING
    db.session.flush()


def _edited_since(batch: ImportBatch) -> int:
    """Contacts changed since the batch last wrote them (its newest change of each)."""
    edited, checked = 0, set()
    for change in _changes(batch, "updated"):
        written = {int(i): at for i, at in change.after.items() if int(i) not in checked}
        checked.update(written)
        ids = list(written)
        for start in range(0, len(ids), 1000):
            query = select(Contact.id, Contact.updated_at).where(
                Contact.id.in_(ids[start : start + 1000])
            )
            for contact_id, current in db.session.execute(query):
                edited += current.isoformat() != written[contact_id]
    return edited


def _changes(batch: ImportBatch, action: str | None = None):
    query = (
        select(ImportChange)
        .where(ImportChange.batch_id == batch.id)
        .order_by(ImportChange.id.desc())
    )
    if action:
        query = query.where(ImportChange.action == action)
    return db.session.scalars(query).yield_per(200)


def undo(batch_id: int) -> None:
    """The job, under the batch's lease: take back every write of the batch in one
    transaction, newest first. An import that never finished (its worker died) goes back
    to "failed", to be started again; a finished one becomes "undone"."""
    _under_lease(batch_id, ImportStatus.UNDOING, _undo)


def _undo(batch: ImportBatch, lease: leases.Lease) -> None:
    batch_id, finished = batch.id, batch.finished_at is not None
    try:
        with db.session.begin_nested():
            _undo_changes(batch)
    except IntegrityError:
        db.session.rollback()
        batch = db.session.get(ImportBatch, batch_id)
        batch.status = ImportStatus.DONE if finished else ImportStatus.INTERRUPTED
        batch.error = ("" if finished else "The import stopped half-way (its worker stopped). ") + (
            "The import cannot be undone: records it created are now used "
            "elsewhere (a gift recorded for an imported contact, for example)."
        )
        lease.renew(force=True)
        db.session.commit()
        return
    lease.renew(force=True)
    if not finished:  # an interrupted import: nothing of it is left, and it can run again
        batch.status, batch.rows_done, batch.counts = ImportStatus.FAILED, 0, {}
        db.session.commit()
        return
    batch.status = ImportStatus.UNDONE
    batch.undone_at = utcnow()
    batch.error = None
    record_event(
        "import_undone",
        "ImportBatch",
        batch.id,
        {"kind": batch.kind.value},
        actor_id=batch.created_by_id,
        summary="Undid an import",
    )
    db.session.commit()


def _undo_changes(batch: ImportBatch) -> None:
    changes = [(c.entity, c.action, c.entity_ids, c.before) for c in _changes(batch)]
    for entity, action, ids, before in changes:
        if action == "updated":
            _restore_contacts(before)
        elif entity == "refund":
            undo_refunds(ids, before)
        elif entity == "donation":
            for start in range(0, len(ids), 500):
                for gift in db.session.scalars(
                    select(Donation).where(Donation.id.in_(ids[start : start + 500]))
                ):
                    db.session.delete(gift)  # through the ORM: listeners see the deletion
                db.session.flush()
        elif entity in ("contact_tag", "tag"):
            contact_extras.undo_links(entity, ids)
        else:
            model = TABLES[entity]
            db.session.execute(delete(model).where(model.id.in_(ids)))
    db.session.execute(delete(ImportChange).where(ImportChange.batch_id == batch.id))
    db.session.execute(delete(ImportConflict).where(ImportConflict.batch_id == batch.id))
    db.session.flush()


def _restore_contacts(before: dict[str, dict]) -> None:
    """Contacts back to their values before the batch (contact id -> values)."""
    states = {}
    for contact_id, values in before.items():
        state = {**values, "updated_at": datetime.fromisoformat(values["updated_at"])}
        if state.get("birth_date"):
            state["birth_date"] = date.fromisoformat(state["birth_date"])
        state.setdefault("birth_date", None)
        derive(state)
        states[int(contact_id)] = state
    update_contacts(states)


def rejections(batch: ImportBatch):
    query = (
        select(ImportRejection)
        .where(ImportRejection.batch_id == batch.id)
        .order_by(ImportRejection.line)
    )
    for rejection in db.session.scalars(query).yield_per(500):
        yield [rejection.line, rejection.reason, *rejection.values]


CONFLICTS_SHOWN = 50


def _conflict_query(batch: ImportBatch):
    return (
        select(ImportConflict, Contact.first_name, Contact.last_name)
        .join(Contact, Contact.id == ImportConflict.contact_id)
        .where(ImportConflict.batch_id == batch.id)
        .order_by(ImportConflict.line, ImportConflict.id)
    )


def first_conflicts(batch: ImportBatch) -> tuple[list, int]:
    """The first conflicts, as (conflict, contact's name), and how many there are."""
    count = db.session.scalar(
        select(func.count()).select_from(ImportConflict).where(ImportConflict.batch_id == batch.id)
    )
    rows = db.session.execute(_conflict_query(batch).limit(CONFLICTS_SHOWN)).all()
    return [(c, f"{first} {last}".strip()) for c, first, last in rows], count


def conflicts(batch: ImportBatch):
    for conflict, first, last in db.session.execute(_conflict_query(batch)).yield_per(500):
        label = FIELD_LABELS.get(conflict.field, conflict.field)
        name = f"{first} {last}".strip()
        yield [conflict.line, conflict.contact_id, name, label, conflict.kept, conflict.in_file]


def delete_upload(batch: ImportBatch) -> None:
    if batch.stored_name:
        try:
            os.unlink(file_path(batch))
        except FileNotFoundError:
            pass
        batch.stored_name = None
