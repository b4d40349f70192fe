"""Coordinators' screens for work: shifts and who is on them, the kiosk for check-in at the
event, the review of logged hours, totals and their CSV export."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.auth.access import role_required
from crm.auth.roles import Role
from crm.contacts.views import get_or_404
from crm.csvutil import csv_response
from crm.events.forms import to_local
from crm.extensions import db
from crm.formats import format_date, format_duration, plural
from crm.forms import ConfirmForm
from crm.modelbase import utcnow
from crm.paging import ListPagination
from crm.volunteers import bp, eligibility, hours, services
from crm.volunteers.forms import AssignForm, ShiftForm
from crm.volunteers.models import Shift, Signup, SignupStatus, Volunteer

coordinators = role_required(Role.COORDINATOR)
TOTALS_PER_PAGE = 50
KIOSK_AHEAD = timedelta(hours=12)  # the kiosk lists shifts starting within this


def _shift_form(shift: Shift | None = None) -> ShiftForm:
    from crm.events.models import Event

    form = ShiftForm(obj=shift)
    now = utcnow()
    events = db.session.scalars(
        select(Event)
        .where((Event.ends_at > now) | (Event.id == (shift.event_id if shift else None)))
        .order_by(Event.starts_at)
        .limit(200)
    )
    form.event_id.choices = {"": "None (a standalone shift)", **{
        str(e.id): f"{e.title} ({format_date(e.starts_at)})"
        for e in events}}  # fmt: skip
    form.required_type_ids.choices = [(t.id, t.name) for t in services.credential_types(True)]
    if request.method == "GET":
        if shift is not None:
            form.starts_at.data = to_local(shift.starts_at)
            form.ends_at.data = to_local(shift.ends_at)
            form.event_id.data = str(shift.event_id or "")
            form.required_type_ids.data = [t.id for t in shift.required_types]
        elif request.args.get("event_id", "").isdigit():
            form.event_id.data = request.args["event_id"]
    return form


def _type_ids(form: ShiftForm) -> list[int]:
    allowed = {value for value, _ in form.required_type_ids.choices}
    return [i for i in form.required_type_ids.data or [] if i in allowed]


@bp.get("/volunteers/shifts/")
@coordinators
def shifts():
    now = utcnow()
    upcoming = services.upcoming_shifts(now)
    past = db.session.scalars(
        select(Shift)
        .options(selectinload(Shift.event))
        .where(Shift.ends_at <= now)
        .order_by(Shift.starts_at.desc())
        .limit(50)
    ).all()
    return render_template(
        "volunteers/shifts.html", upcoming=upcoming, past=past,
        places_taken=services.places_taken_of([s.id for s in [*upcoming, *past]]),
    )  # fmt: skip


@bp.route("/volunteers/shifts/new", methods=["GET", "POST"])
@coordinators
def create_shift():
    form = _shift_form()
    if form.validate_on_submit():
        try:
            shift = services.create_shift(form.shift_data(), _type_ids(form), current_user)
        except services.VolunteerError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Shift “{shift.title}” created.", "success")
            return redirect(url_for("volunteers.shift", shift_id=shift.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("volunteers/shift_form.html", form=form, shift=None), status


@bp.route("/volunteers/shifts/<int:shift_id>/edit", methods=["GET", "POST"])
@coordinators
def edit_shift(shift_id: int):
    shift = get_or_404(Shift, shift_id)
    form = _shift_form(shift)
    if form.validate_on_submit():
        try:
            removed = services.update_shift(shift, form.shift_data(), _type_ids(form))
        except services.VolunteerError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            names = ", ".join(s.volunteer.name for s in removed)
            flash("Shift saved." + (f" No longer qualified, so taken off: {names}." if names
                                    else ""), "success")  # fmt: skip
            return redirect(url_for("volunteers.shift", shift_id=shift.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("volunteers/shift_form.html", form=form, shift=shift), status


def _assign_form(shift: Shift) -> AssignForm:
    form = AssignForm()
    on_shift = {s.volunteer_id for s in services.active_signups(shift)}
    people = db.session.scalars(select(Volunteer).where(Volunteer.active)).all()
    form.volunteer_id.choices = sorted(
        ((v.id, v.name) for v in people if v.id not in on_shift), key=lambda c: c[1]
    )
    return form


def _render_shift(shift: Shift, assign: AssignForm, status: int = 200):
    now = utcnow()
    by_status = {s: [] for s in SignupStatus}
    for signup in shift.signups:
        by_status[signup.status].append(signup)
    candidates = [
        (volunteer_id, name, eligibility.problems(
            db.session.get(Volunteer, volunteer_id), shift, now=now, whose=f"{name}’s"))
        for volunteer_id, name in assign.volunteer_id.choices
    ]  # fmt: skip
    types, missing = eligibility.required_types(shift)
    return render_template(
        "volunteers/shift.html", shift=shift, by_status=by_status, assign=assign,
        candidates=candidates, required=types, missing=missing,
        taken=services.places_taken(shift.id), confirm_form=ConfirmForm(), now=now,
    ), status  # fmt: skip


@bp.get("/volunteers/shifts/<int:shift_id>")
@coordinators
def shift(shift_id: int):
    record = get_or_404(Shift, shift_id)
    return _render_shift(record, _assign_form(record))


@bp.post("/volunteers/shifts/<int:shift_id>/assign")
@coordinators
def assign(shift_id: int):
    record = get_or_404(Shift, shift_id)
    form = _assign_form(record)
    if not form.validate_on_submit():
        return _render_shift(record, form, 422)
    person = db.session.get(Volunteer, form.volunteer_id.data)
    if person is None or not person.active:
        form.volunteer_id.errors = ["Choose a volunteer from the list."]
        return _render_shift(record, form, 422)
    try:
        signup = services.sign_up(record.id, person, assigned_by=current_user)
    except services.VolunteerError as exc:
        db.session.rollback()
        form.volunteer_id.errors = [str(exc)]
        return _render_shift(db.session.get(Shift, shift_id), form, 409)
    db.session.commit()
    where = "on the shift" if signup.status == SignupStatus.CONFIRMED else "on the waitlist"
    flash(f"{person.name} is {where}.", "success")
    return redirect(url_for("volunteers.shift", shift_id=shift_id))


@bp.post("/volunteers/shifts/<int:shift_id>/signups/<int:signup_id>/cancel")
@coordinators
def staff_cancel(shift_id: int, signup_id: int):
    signup = _signup(shift_id, signup_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        promoted = services.cancel(signup, by_staff=True)
    except services.VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        names = ", ".join(s.volunteer.name for s in promoted)
        flash("Sign-up cancelled." + (f" Promoted from the waitlist: {names}." if names
                                      else ""), "success")  # fmt: skip
    return redirect(url_for("volunteers.shift", shift_id=shift_id))


def _signup(shift_id: int, signup_id: int) -> Signup:
    signup = get_or_404(Signup, signup_id)
    if signup.shift_id != shift_id:
        abort(404)
    return signup


# --- kiosk --------------------------------------------------------------------------------


@bp.get("/volunteers/kiosk/")
@coordinators
def kiosk():
    now = utcnow()
    current = db.session.scalars(
        select(Shift)
        .where(Shift.starts_at <= now + KIOSK_AHEAD, Shift.ends_at > now)
        .order_by(Shift.starts_at)
    ).all()
    return render_template("volunteers/kiosk_pick.html", shifts=current)


@bp.get("/volunteers/kiosk/<int:shift_id>")
@coordinators
def kiosk_shift(shift_id: int):
    record = get_or_404(Shift, shift_id)
    confirmed = db.session.scalars(
        select(Signup)
        .options(selectinload(Signup.volunteer).selectinload(Volunteer.contact))
        .where(Signup.shift_id == record.id, Signup.status == SignupStatus.CONFIRMED)
    ).all()
    confirmed.sort(key=lambda s: s.volunteer.name)
    return render_template(
        "volunteers/kiosk.html", shift=record, signups=confirmed,
        entries=hours.kiosk_entries(record),
    )  # fmt: skip


@bp.post("/volunteers/kiosk/<int:shift_id>/signups/<int:signup_id>")
@coordinators
def kiosk_tap(shift_id: int, signup_id: int):
    signup = _signup(shift_id, signup_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        entry = hours.check_in_or_out(signup)
    except services.VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        if entry.ended_at is None:
            flash(f"{signup.volunteer.name} checked in. Welcome!", "success")
        else:
            flash(f"{signup.volunteer.name} checked out after "
                  f"{format_duration(entry.minutes, 'long')}. Thank you!", "success")  # fmt: skip
    return redirect(url_for("volunteers.kiosk_shift", shift_id=shift_id))


# --- hours --------------------------------------------------------------------------------


@bp.get("/volunteers/hours/")
@coordinators
def hours_review():
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    totals = ListPagination(
        rows=hours.totals(), page=page, per_page=TOTALS_PER_PAGE, error_out=False
    )
    return render_template(
        "volunteers/hours.html", pending=hours.pending_entries(), totals=totals,
        confirm_form=ConfirmForm(),
    )  # fmt: skip


@bp.post("/volunteers/hours/review")
@coordinators
def review_hours():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    decision = request.form.get("decision")
    ids = [int(i) for i in request.form.getlist("entry_ids") if i.isdigit() and len(i) < 10]
    if decision not in ("approve", "reject") or not ids:
        flash("Tick at least one line, then choose Approve or Reject.", "danger")
        return redirect(url_for("volunteers.hours_review"))
    changed = hours.review(ids, decision == "approve", current_user)
    db.session.commit()
    flash(
        f"{plural(changed, 'line')} {'approved' if decision == 'approve' else 'rejected'}.",
        "success",
    )
    return redirect(url_for("volunteers.hours_review"))


@bp.get("/volunteers/hours.csv")
@coordinators
def hours_export():
    rows = (
        (t.volunteer.contact.full_name, t.volunteer.email, t.month, t.role.label, t.hours)
        for t in hours.totals()
    )
    return csv_response(
        "volunteer-hours.csv", ["Volunteer", "Email", "Month", "Role", "Hours"], rows
    )


@bp.app_template_global()
def event_staffing(event) -> list[tuple[Shift, int]]:
    """An event's shifts with their confirmed places, for the event's coordinator page
    (events do not import this domain; the template asks)."""
    rows = db.session.scalars(
        select(Shift).where(Shift.event_id == event.id).order_by(Shift.starts_at)
    ).all()
    filled = services.places_taken_of([shift.id for shift in rows])
    return [(shift, filled.get(shift.id, 0)) for shift in rows]
