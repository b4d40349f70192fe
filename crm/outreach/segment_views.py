"""Segments: the list, the builder (works without JavaScript: its buttons add and remove
rows; with it the count follows every change), a segment's contacts and their CSV."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from crm.auth.access import staff_required
from crm.contacts.views import get_or_404, page_number
from crm.csvutil import csv_response
from crm.extensions import db
from crm.forms import ConfirmForm
from crm.outreach import bp, segments
from crm.outreach.conditions import ConditionError, choice_lists, kinds, read_tree
from crm.outreach.forms import SegmentForm, empty_condition
from crm.outreach.models import Mailing, Segment


def _segment(segment_id: int) -> Segment:
    segment = get_or_404(Segment, segment_id)
    if not segments.may_use(segment, current_user):
        abort(403)
    return segment


@bp.get("/outreach/segments/")
@staff_required
def segments_index():
    rows = db.session.scalars(segments.visible(current_user)).all()
    return render_template("outreach/segments.html", segments=rows)


def _form(data: dict | None = None, **kwargs) -> SegmentForm:
    form = SegmentForm(data=data, **kwargs) if data is not None else SegmentForm(**kwargs)
    form.set_kinds(segments.sees_money(current_user))
    return form


def _count(form: SegmentForm) -> tuple[int | None, str | None]:
    try:
        tree = read_tree(form.tree(), segments.sees_money(current_user))
    except ConditionError as exc:
        return None, str(exc)
    return (None, None) if tree.empty else (segments.count(tree), None)


def _edit(form: SegmentForm, action: str) -> SegmentForm:
    """Add or remove a row, re-read the form for a new kind: re-render from the data."""
    data = {"name": form.name.data, "description": form.description.data,
            "match": form.match.data, **form.tree(keep_empty=True)}  # fmt: skip
    groups = data["groups"]
    verb, _, where = action.partition(":")
    numbers = [int(n) for n in where.split(":") if n.isdigit()]
    if verb == "add" and numbers and numbers[0] < len(groups):
        groups[numbers[0]]["conditions"].append(empty_condition())
    elif verb == "remove" and len(numbers) == 2 and numbers[0] < len(groups):
        rows = groups[numbers[0]]["conditions"]
        if numbers[1] < len(rows):
            rows.pop(numbers[1])
        if not rows and len(groups) > 1:
            groups.pop(numbers[0])
    elif verb == "group":
        groups.append({"match": "all", "conditions": [empty_condition()]})
    return _form(data, formdata=None)


def _builder(segment: Segment | None):
    form = _form(None if segment is None else _stored(segment), obj=segment)
    action = request.form.get("action", "save")
    if request.method == "POST" and form.validate_on_submit():
        if action != "save":
            form = _edit(form, action)
        else:
            try:
                segment = segments.save(segment, form.name.data, form.description.data,
                                        form.tree(), current_user)  # fmt: skip
            except segments.SegmentError as exc:
                form.form_errors.append(str(exc))
            else:
                db.session.commit()
                flash(f"Segment “{segment.name}” saved.", "success")
                return redirect(url_for("outreach.segment", segment_id=segment.id))
    count, problem = _count(form)
    used = {kinds[row.kind.data].value for g in form.groups for row in g.conditions
            if row.kind.data in kinds}  # fmt: skip
    choices = {name: choice_lists[name]() for name in used if name in choice_lists}
    if not segments.sees_money(current_user):  # "donor" is about money: not offered
        hidden = {v for kind in kinds.values() for v in kind.money_values}
        choices = {name: [c for c in rows if c[0] not in hidden] for name, rows in choices.items()}
    status = 422 if request.method == "POST" and form.form_errors else 200
    return render_template("outreach/segment_form.html", form=form, segment=segment,
                           kinds=kinds, choices=choices, count=count, problem=problem,
                           focus=action), status  # fmt: skip


def _stored(segment: Segment) -> dict:
    return {"name": segment.name, "description": segment.description, **segment.conditions}


@bp.route("/outreach/segments/new", methods=["GET", "POST"])
@staff_required
def new_segment():
    return _builder(None)


@bp.route("/outreach/segments/<int:segment_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_segment(segment_id: int):
    return _builder(_segment(segment_id))


@bp.get("/outreach/segments/count")
@staff_required
def segment_count():
    """The live count of the builder's current conditions (read from the query string)."""
    form = _form(formdata=request.args, meta={"csrf": False})
    count, problem = _count(form)
    return jsonify(count=count, problem=problem)


@bp.get("/outreach/segments/<int:segment_id>")
@staff_required
def segment(segment_id: int):
    record = _segment(segment_id)
    try:
        tree = segments.tree_of(record, current_user)
    except segments.SegmentError as exc:
        return render_template("outreach/segment.html", segment=record, problem=str(exc),
                               pagination=None, form=ConfirmForm())  # fmt: skip
    segments.plain_plans()
    pagination = db.paginate(segments.members(tree), page=page_number(), per_page=50,
                             error_out=False)  # fmt: skip
    mailings = db.session.scalars(
        db.select(Mailing).where(Mailing.segment_id == record.id).order_by(Mailing.id.desc())
    ).all()
    return render_template(
        "outreach/segment.html",
        segment=record,
        problem=None,
        pagination=pagination,
        mailings=mailings,
        form=ConfirmForm(),
    )


@bp.get("/outreach/segments/<int:segment_id>/contacts.csv")
@staff_required
def segment_csv(segment_id: int):
    record = _segment(segment_id)
    try:
        tree = segments.tree_of(record, current_user)
    except segments.SegmentError as exc:
        abort(409, str(exc))
    return csv_response(f"segment-{record.id}.csv", list(segments.CSV_COLUMNS),
                        segments.export_rows(tree))  # fmt: skip


@bp.post("/outreach/segments/<int:segment_id>/delete")
@staff_required
def delete_segment(segment_id: int):
    record = _segment(segment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = record.name
    db.session.delete(record)
    db.session.commit()
    flash(f"Segment “{name}” deleted; mailings sent to it keep their recipients.", "success")
    return redirect(url_for("outreach.segments_index"))
