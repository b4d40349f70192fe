"""The import wizard (upload, map and preview, dry run, import, undo) and the duplicate
review queue."""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.auth.access import role_required, staff_required
from crm.auth.roles import Role
from crm.contacts.views import get_or_404
from crm.csvutil import csv_response
from crm.dataio import batches, bp, duplicates, gift_names, recovery, uploads
from crm.dataio.csvfile import DELIMITERS, ENCODINGS, FileProblem
from crm.dataio.fields import FIELDS, mapping_problems
from crm.dataio.forms import OptionsForm, UploadForm
from crm.dataio.models import DuplicatePair, DuplicateStatus, ImportBatch, ImportKind, ImportStatus
from crm.extensions import db
from crm.formats import plural
from crm.forms import ConfirmForm


@bp.route("/imports/", methods=["GET", "POST"])
@role_required(Role.FUNDRAISER)
def imports():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch = batches.create_batch(
                ImportKind(form.kind.data), upload.stream, upload.filename or "upload.csv",
                form.encoding.data, form.delimiter.data, current_user,
            )  # fmt: skip
        except FileProblem as exc:
            form.file.errors.append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("dataio.mapping", batch_id=batch.id))
    recent = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(50)).all()
    return render_template(
        "dataio/index.html", form=form, batches=recent, discard_refusal=uploads.refusal
    )


def get_batch(batch_id: int) -> ImportBatch:
    """The batch, taken over first if its worker died (so that its page stops waiting and
    its actions are open again)."""
    batch = get_or_404(ImportBatch, batch_id)
    recovery.recover_if_stalled(batch)
    return batch


@bp.route("/imports/<int:batch_id>/map", methods=["GET", "POST"])
@role_required(Role.FUNDRAISER)
def mapping(batch_id: int):
    batch = get_batch(batch_id)
    if batch.status not in (ImportStatus.UPLOADED, ImportStatus.CHECKED) or not batch.stored_name:
        return redirect(url_for("dataio.batch", batch_id=batch.id))
    fields = FIELDS[batch.kind]
    form = OptionsForm(data=batch.options or None)
    problems = []
    if form.validate_on_submit():
        chosen = {str(i): request.form.get(f"col-{i}", "") for i in range(len(batch.headers))}
        mapping = {i: f for i, f in chosen.items() if f in fields}
        # names a dry run found stay listed while the columns they came from stay mapped
        found = batch.options.get("found_names") if mapping == batch.mapping else None
        batch.mapping = mapping
        names, problems = _name_choices(batch)
        if found:
            names["found_names"] = found
        if problems:  # a choice that is not on the list: nothing of this post is kept
            db.session.rollback()
            return _mapping_page(batch, form, problems)
        batch.options = {"date_order": form.date_order.data, "system": form.system.data or "",
                         **names}  # fmt: skip
        if batch.status == ImportStatus.CHECKED:
            batch.status, batch.dry_run_counts = ImportStatus.UPLOADED, None
        problems = mapping_problems(batch.kind, batch.mapping)
        if not problems and request.form.get("action") in ("check", "import"):
            dry_run = request.form["action"] == "check"
            batches.start(batch, dry_run)
            db.session.commit()
            recovery.queue(batch, "run_import", batch.id, dry_run)
            return redirect(url_for("dataio.batch", batch_id=batch.id))
        db.session.commit()
    return _mapping_page(batch, form, problems)


def _name_choices(batch: ImportBatch) -> tuple[dict, list[str]]:
    """What staff chose for the gift file's unknown campaign and fund names."""
    try:
        unknown = batches.unknown_names(batch)
    except FileProblem:
        return {}, []  # the page says what is wrong with the file
    choices, problems = gift_names.read_choices(request.form, unknown)
    return {f"{kind}_names": chosen for kind, chosen in choices.items()}, problems


def _mapping_page(batch: ImportBatch, form, problems: list[str]):
    unknown = {}
    try:
        rows = batches.preview(batch)
        unknown = batches.unknown_names(batch)
    except FileProblem as exc:
        rows, problems = [], [*problems, str(exc)]
    samples = uploads.sample_values(batch) if rows else [None] * len(batch.headers)
    return render_template(
        "dataio/map.html",
        batch=batch,
        form=form,
        fields=FIELDS[batch.kind],
        rows=rows,
        samples=samples,
        problems=problems,
        encodings=ENCODINGS,
        delimiters=DELIMITERS,
        discard_refusal=uploads.refusal(batch, current_user),
        unknown_names=unknown,
        name_targets=gift_names.targets() if unknown else {},
    )


@bp.route("/imports/<int:batch_id>")
@role_required(Role.FUNDRAISER)
def batch(batch_id: int):
    batch = get_batch(batch_id)
    conflicts, conflict_count = batches.first_conflicts(batch)
    return render_template(
        "dataio/batch.html", batch=batch, form=ConfirmForm(), fields=FIELDS[batch.kind],
        discard_refusal=uploads.refusal(batch, current_user),
        conflicts=conflicts, conflict_count=conflict_count,
    )  # fmt: skip


@bp.route("/imports/<int:batch_id>/progress.json")
@role_required(Role.FUNDRAISER)
def progress(batch_id: int):
    batch = get_batch(batch_id)
    return jsonify(status=batch.status.value, busy=batch.busy, rows_done=batch.rows_done,
                   rows_total=batch.rows_total, percent=batch.percent, counts=batch.counts,
                   error=batch.error)  # fmt: skip


@bp.route("/imports/<int:batch_id>/rejected.csv")
@role_required(Role.FUNDRAISER)
def rejected(batch_id: int):
    batch = get_batch(batch_id)
    header = ["line", "reason", *batch.headers]
    return csv_response(f"import-{batch.id}-rejected.csv", header, batches.rejections(batch))


@bp.route("/imports/<int:batch_id>/conflicts.csv")
@role_required(Role.FUNDRAISER)
def conflicts(batch_id: int):
    batch = get_batch(batch_id)
    header = ["line", "contact id", "contact", "field", "kept", "in the file"]
    return csv_response(f"import-{batch.id}-conflicts.csv", header, batches.conflicts(batch))


@bp.route("/imports/<int:batch_id>/run", methods=["POST"])
@role_required(Role.FUNDRAISER)
def run(batch_id: int):
    batch = get_batch(batch_id)
    dry_run = request.form.get("dry_run") == "1"
    if ConfirmForm().validate_on_submit():
        problems = mapping_problems(batch.kind, batch.mapping)
        try:
            if problems:
                raise batches.ImportError_(" ".join(problems))
            batches.start(batch, dry_run)
        except batches.ImportError_ as exc:
            flash(str(exc), "danger")
            return redirect(url_for("dataio.batch", batch_id=batch.id))
        db.session.commit()
        recovery.queue(batch, "run_import", batch.id, dry_run)
    return redirect(url_for("dataio.batch", batch_id=batch.id))


@bp.route("/imports/<int:batch_id>/undo", methods=["POST"])
@role_required(Role.FUNDRAISER)
def undo(batch_id: int):
    batch = get_batch(batch_id)
    if ConfirmForm().validate_on_submit():
        try:
            batches.start_undo(batch)
        except batches.ImportError_ as exc:
            flash(str(exc), "danger")
            return redirect(url_for("dataio.batch", batch_id=batch.id))
        db.session.commit()
        recovery.queue(batch, "undo_import", batch.id)
    return redirect(url_for("dataio.batch", batch_id=batch.id))


@bp.route("/imports/<int:batch_id>/discard", methods=["POST"])
@role_required(Role.FUNDRAISER)
def discard(batch_id: int):
    batch = get_batch(batch_id)
    if ConfirmForm().validate_on_submit():
        number, filename = batch.id, batch.filename
        try:
            path = uploads.discard(batch, current_user)
        except uploads.DiscardRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            if db.session.get(ImportBatch, batch_id) is None:  # discarded in another tab
                return redirect(url_for("dataio.imports"))
            return redirect(url_for("dataio.batch", batch_id=batch_id))
        db.session.commit()
        uploads.remove_file(path)
        flash(f"Discarded import #{number} ({filename}): its file is deleted.", "success")
    return redirect(url_for("dataio.imports"))


# --- duplicates ------------------------------------------------------------------------------


@bp.route("/duplicates/")
@staff_required
def duplicate_queue():
    pairs = db.session.scalars(
        select(DuplicatePair)
        .options(selectinload(DuplicatePair.first), selectinload(DuplicatePair.second))
        .where(DuplicatePair.status == DuplicateStatus.OPEN,
               DuplicatePair.first_id != DuplicatePair.second_id)
        .order_by(DuplicatePair.id).limit(100)
    ).all()  # fmt: skip
    return render_template("dataio/duplicates.html", pairs=pairs, form=ConfirmForm())


@bp.route("/duplicates/scan", methods=["POST"])
@staff_required
def scan_duplicates():
    if ConfirmForm().validate_on_submit():
        found = duplicates.scan()
        db.session.commit()
        flash(
            f"Looked through every contact: {plural(found, 'new possible duplicate')}.", "success"
        )
    return redirect(url_for("dataio.duplicate_queue"))


@bp.route("/duplicates/<int:pair_id>/dismiss", methods=["POST"])
@staff_required
def dismiss_duplicate(pair_id: int):
    pair = get_or_404(DuplicatePair, pair_id)
    if ConfirmForm().validate_on_submit():
        pair.status = DuplicateStatus.DISMISSED
        db.session.commit()
        flash("Marked as two different people; they will not be suggested again.", "success")
    return redirect(url_for("dataio.duplicate_queue"))
