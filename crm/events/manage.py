"""Coordinators' screens: events, check-in at the door, headcounts, the training request
queue; event types for admins."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.auth.access import role_required
from crm.auth.models import User
from crm.auth.roles import Role
from crm.contacts.views import get_or_404
from crm.events import bp, reach, trainings
from crm.events import services as events
from crm.events.forms import (
    AttendForm,
    CancelEventForm,
    DeclineForm,
    EventForm,
    EventTypeForm,
    WalkInForm,
    headcount_form,
    to_local,
)
from crm.events.models import (
    Audience,
    Event,
    EventType,
    Registration,
    RegistrationStatus,
    TrainingRequest,
    TrainingRequestStatus,
)
from crm.extensions import db
from crm.formats import plural
from crm.forms import ConfirmForm
from crm.modelbase import utcnow

coordinators = role_required(Role.COORDINATOR)


def _choices(form: EventForm, event: Event | None = None) -> EventForm:
    from crm.donations.models import Campaign

    types = db.session.scalars(select(EventType).order_by(EventType.name)).all()
    form.type_id.choices = [
        (t.id, t.name) for t in types if t.active or (event and event.type_id == t.id)
    ]
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.name))
    form.campaign_id.choices = {"": "None", **{str(c.id): c.name for c in campaigns}}
    staff = db.session.scalars(
        select(User)
        .where(User.active, User.role.in_([Role.ADMIN, Role.COORDINATOR]))
        .order_by(User.name)
    )
    form.presenter_ids.choices = [(u.id, u.name) for u in staff]
    return form


def _presenters(form: EventForm) -> list[User]:
    allowed = {value for value, _ in form.presenter_ids.choices}
    ids = [i for i in form.presenter_ids.data or [] if i in allowed]
    return list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []


def _event_form_from(event: Event) -> EventForm:
    form = EventForm(obj=event)
    if request.method == "GET":
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            form[name].data = to_local(getattr(event, name))
        form.campaign_id.data = str(event.campaign_id or "")
        form.presenter_ids.data = [u.id for u in event.presenters]
    return form


# --- events -------------------------------------------------------------------------------


@bp.get("/manage/events/")
@coordinators
def manage_index():
    now = utcnow()
    listed = select(Event).options(selectinload(Event.type))
    upcoming = db.session.scalars(listed.where(Event.ends_at > now).order_by(Event.starts_at)).all()
    past = db.session.scalars(
        listed.where(Event.ends_at <= now).order_by(Event.starts_at.desc()).limit(50)
    ).all()
    pending = db.session.scalar(
        select(func.count())
        .select_from(TrainingRequest)
        .where(TrainingRequest.status == TrainingRequestStatus.PENDING)
    )
    return render_template(
        "events/manage/index.html", upcoming=upcoming, past=past, pending=pending,
        seats_taken=events.seats_taken_of([e.id for e in upcoming]),
        reached=reach.reach_of([e.id for e in past]),
    )  # fmt: skip


@bp.route("/manage/events/new", methods=["GET", "POST"])
@coordinators
def create_event():
    form = _choices(EventForm())
    if form.validate_on_submit():
        try:
            event = events.create_event(form.event_data(), _presenters(form))
        except events.EventError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Event “{event.title}” created.", "success")
            return redirect(url_for("events.manage_event", event_id=event.id))
    return render_template("events/manage/form.html", form=form, event=None)


@bp.route("/manage/events/<int:event_id>/edit", methods=["GET", "POST"])
@coordinators
def edit_event(event_id: int):
    event = get_or_404(Event, event_id)
    form = _choices(_event_form_from(event), event)
    if form.validate_on_submit():
        try:
            events.update_event(event, form.event_data(), _presenters(form))
        except events.EventError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash("Event saved.", "success")
            return redirect(url_for("events.manage_event", event_id=event_id))
    return render_template("events/manage/form.html", form=form, event=event)


@bp.get("/manage/events/<int:event_id>")
@coordinators
def manage_event(event_id: int):
    event = get_or_404(Event, event_id)
    by_status = {s: [] for s in ("attended", "no_show", *RegistrationStatus)}
    for registration in event.registrations:
        by_status[registration.status].append(registration)
        if registration.attended_at is not None:
            by_status["attended"].append(registration)
        elif registration.status == RegistrationStatus.CONFIRMED:
            by_status["no_show"].append(registration)
    now = utcnow()
    return render_template(
        "events/manage/show.html", event=event, by_status=by_status,
        seats_taken=events.seats_taken(event.id), outcome=reach.outcome(event),
        finished=event.ends_at <= now, headcounts=headcount_form(event),
        confirm_form=ConfirmForm(), cancel_form=CancelEventForm(), now=now,
    )  # fmt: skip


@bp.post("/manage/events/<int:event_id>/cancel")
@coordinators
def cancel_event(event_id: int):
    """Call the event off: registrants and the volunteers on its shifts are told."""
    from crm.volunteers import services as volunteers

    get_or_404(Event, event_id)
    form = CancelEventForm()
    if not form.validate_on_submit():
        flash("The event was not cancelled. " + " ".join(form.note.errors), "danger")
        return redirect(url_for("events.manage_event", event_id=event_id))
    try:
        told = events.cancel_event(event_id, form.note.data)
        removed = volunteers.event_cancelled(event_id)
    except events.EventError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"The event is cancelled. {plural(len(told), 'registrant')} and "
              f"{plural(len(removed), 'volunteer')} were told.", "success")  # fmt: skip
    return redirect(url_for("events.manage_event", event_id=event_id))


@bp.post("/manage/events/<int:event_id>/headcounts")
@coordinators
def save_headcounts(event_id: int):
    event = get_or_404(Event, event_id)
    form = headcount_form(event)
    if not form.validate_on_submit():
        errors = [f"{f.label.text}: {' '.join(f.errors)}" for f in form if f.errors]
        flash("The headcounts were not saved. " + "; ".join(errors), "danger")
        return redirect(url_for("events.manage_event", event_id=event.id, _anchor="headcounts"))
    reach.set_headcounts(event, {a: form[a.value].data or 0 for a in Audience})
    db.session.commit()
    flash("Headcounts saved.", "success")
    return redirect(url_for("events.manage_event", event_id=event.id, _anchor="headcounts"))


@bp.post("/manage/events/<int:event_id>/registrations/<int:registration_id>/cancel")
@coordinators
def staff_cancel(event_id: int, registration_id: int):
    registration = _registration(event_id, registration_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        promoted = events.cancel(registration, by_staff=True)
    except events.EventError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        names = ", ".join(r.name for r in promoted)
        flash("Registration cancelled." + (f" Promoted from the waitlist: {names}." if names
                                           else ""), "success")  # fmt: skip
    return redirect(url_for("events.manage_event", event_id=event_id))


def _registration(event_id: int, registration_id: int) -> Registration:
    registration = get_or_404(Registration, registration_id)
    if registration.event_id != event_id:
        abort(404)
    return registration


# --- check-in -----------------------------------------------------------------------------


@bp.get("/manage/events/<int:event_id>/check-in")
@coordinators
def check_in(event_id: int):
    event = get_or_404(Event, event_id)
    q = request.args.get("q", "").strip()[:100]
    return render_template(
        "events/manage/check_in.html", event=event, q=q,
        registrations=events.checkin_list(event, q), walk_in=WalkInForm(),
        attended=reach.attended_people(event), seats_taken=events.seats_taken(event.id),
    )  # fmt: skip


def _back_to_check_in(event_id: int):
    q = request.form.get("q", "").strip()[:100]
    return redirect(url_for("events.check_in", event_id=event_id, q=q or None))


@bp.post("/manage/events/<int:event_id>/check-in/<int:registration_id>")
@coordinators
def mark_attended(event_id: int, registration_id: int):
    registration = _registration(event_id, registration_id)
    form = AttendForm()
    if not form.validate_on_submit():
        flash("Not checked in: the number of guests must be between 0 and 10.", "danger")
        return _back_to_check_in(event_id)
    guests = registration.guests if form.guests_attended.data is None else form.guests_attended.data
    try:
        events.mark_attended(registration, guests)
    except events.EventError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"{registration.name} checked in.", "success")
    return _back_to_check_in(event_id)


@bp.post("/manage/events/<int:event_id>/check-in/<int:registration_id>/undo")
@coordinators
def undo_attended(event_id: int, registration_id: int):
    registration = _registration(event_id, registration_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    events.undo_attended(registration)
    db.session.commit()
    flash(f"Check-in of {registration.name} undone.", "success")
    return _back_to_check_in(event_id)


@bp.post("/manage/events/<int:event_id>/walk-in")
@coordinators
def walk_in(event_id: int):
    event = get_or_404(Event, event_id)
    form = WalkInForm()
    if form.validate_on_submit():
        try:
            registration = events.add_walk_in(
                event, form.name.data, form.email.data or None, form.guests.data or 0
            )
        except events.EventError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(f"Walk-in {registration.name} added and checked in.", "success")
    else:
        errors = [f"{f.label.text}: {' '.join(f.errors)}" for f in form if f.errors]
        flash("The walk-in was not added. " + "; ".join(errors), "danger")
    return _back_to_check_in(event_id)


# --- event types (admins) -----------------------------------------------------------------


@bp.route("/manage/event-types/", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def event_types():
    form = EventTypeForm()
    if form.validate_on_submit():
        try:
            events.create_event_type(
                form.name.data, form.description.data or None, form.default_minutes.data
            )
        except events.EventError as exc:
            db.session.rollback()
            form.name.errors = [str(exc)]
        else:
            db.session.commit()
            flash(f"Event type “{form.name.data}” added.", "success")
            return redirect(url_for("events.event_types"))
    types = db.session.scalars(select(EventType).order_by(EventType.name)).all()
    return render_template("events/manage/types.html", form=form, types=types)


@bp.post("/manage/event-types/<int:type_id>/toggle")
@role_required(Role.ADMIN)
def toggle_event_type(type_id: int):
    event_type = get_or_404(EventType, type_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    event_type.active = not event_type.active
    db.session.commit()
    state = "offered again" if event_type.active else "retired (existing events keep it)"
    flash(f"“{event_type.name}” {state}.", "success")
    return redirect(url_for("events.event_types"))


# --- training requests --------------------------------------------------------------------


@bp.get("/manage/trainings/")
@coordinators
def training_queue():
    requests = db.session.scalars(
        select(TrainingRequest)
        .order_by(
            (TrainingRequest.status != TrainingRequestStatus.PENDING), TrainingRequest.created_at
        )
        .limit(200)
    ).all()
    return render_template("events/manage/trainings.html", requests=requests)


def _accept_form(training: TrainingRequest) -> EventForm:
    form = _choices(EventForm())
    if request.method == "GET":
        start = training.preferred_1
        event_type = next(iter(events.active_event_types()), None)
        minutes = event_type.default_minutes if event_type else 60
        form.title.data = f"Training for {training.organisation_name}"
        form.type_id.data = event_type.id if event_type else None
        form.starts_at.data = to_local(start)
        form.ends_at.data = to_local(start + timedelta(minutes=minutes))
        form.venue.data = training.place
        form.capacity.data = training.estimated_size
        form.audiences.data = [training.audience.value]
        form.is_public.data = False
    return form


@bp.route("/manage/trainings/<int:request_id>", methods=["GET", "POST"])
@coordinators
def training_request(request_id: int):
    training = get_or_404(TrainingRequest, request_id)
    form = _accept_form(training)
    if training.status == TrainingRequestStatus.PENDING and form.validate_on_submit():
        try:
            event = trainings.accept_request(
                training, form.event_data(), _presenters(form), current_user
            )
        except events.EventError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash("Training scheduled; the requester was sent a confirmation.", "success")
            return redirect(url_for("events.manage_event", event_id=event.id))
    return render_template(
        "events/manage/training.html", training=training, form=form, decline=DeclineForm()
    )


@bp.post("/manage/trainings/<int:request_id>/decline")
@coordinators
def decline_training(request_id: int):
    training = get_or_404(TrainingRequest, request_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            trainings.decline_request(training, form.message.data, current_user)
        except events.EventError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash("Request declined; the requester was sent your message.", "success")
            return redirect(url_for("events.training_queue"))
    return render_template(
        "events/manage/training.html", training=training, form=_accept_form(training),
        decline=form,
    ), 422  # fmt: skip
