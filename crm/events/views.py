"""The public side: upcoming events, an event's page, registration, the private cancel link,
the calendar feed and the training request form."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from crm.auth.access import public
from crm.contacts.views import get_or_404
from crm.events import bp, calendar, trainings
from crm.events import services as events
from crm.events.forms import (
    EventFilterForm,
    RegistrationForm,
    TrainingRequestForm,
    to_utc,
)
from crm.events.models import Event, EventType, RegistrationStatus
from crm.extensions import db, limiter
from crm.forms import ConfirmForm, public_form_limit
from crm.modelbase import utcnow


def public_event(event_id: int) -> Event:
    event = get_or_404(Event, event_id)
    if not event.is_public:
        abort(404)
    return event


@bp.get("/events")
@public
def index():
    form = EventFilterForm(request.args)
    types = db.session.scalars(select(EventType).where(EventType.active).order_by(EventType.name))
    form.type.choices = {"": "Any", **{str(t.id): t.name for t in types}}
    type_id = form.type.data if form.type.data in form.type.choices else ""
    audience = request.args.get("audience", "")
    online = {"online": True, "in_person": False}.get(request.args.get("format", ""))
    found = events.upcoming_public_events(
        type_id=int(type_id) if type_id else None, audience=audience or None, online=online
    )
    return render_template("events/index.html", form=form, events=found)


@bp.get("/events.ics")
@public
def feed():
    body = calendar.feed_ics(events.upcoming_public_events(cancelled=True))
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'inline; filename="events.ics"'},
    )


def _render_event(event: Event, form: RegistrationForm, status: int = 200):
    return (
        render_template(
            "events/show.html",
            event=event,
            form=form,
            seats_left=events.seats_left(event),
            closed=events.registration_problem(event),
        ),
        status,
    )


@bp.get("/events/<int:event_id>")
@public
def show(event_id: int):
    return _render_event(public_event(event_id), RegistrationForm())


@bp.post("/events/<int:event_id>/register")
@public
@limiter.limit(public_form_limit)
def register(event_id: int):
    event = public_event(event_id)
    form = RegistrationForm()
    if not form.validate_on_submit():
        return _render_event(event, form, 422)
    registrant = events.Registrant(
        first_name=form.first_name.data, last_name=form.last_name.data, email=form.email.data,
        phone=form.phone.data or None, guests=form.guests.data or 0,
    )  # fmt: skip
    try:
        registration, _ = events.register(event.id, registrant)
    except events.EventError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _render_event(db.session.get(Event, event_id), form, 409)
    db.session.commit()
    if registration.status == RegistrationStatus.CONFIRMED:
        flash(
            f"You are registered. We sent a confirmation to {form.email.data} "
            "with a calendar file and a link to cancel.",
            "success",
        )
    else:
        flash(
            "The event is full, so you are on the waitlist. We will email "
            f"{form.email.data} as soon as a seat is yours.",
            "info",
        )
    return redirect(url_for("events.show", event_id=event.id))


def _registration_or_error(cancel_token: str):
    registration = events.registration_for_token(cancel_token)
    if registration is None:
        return None, (render_template("events/cancel_invalid.html"), 404)
    if registration.status == RegistrationStatus.CANCELLED:
        return None, (
            render_template("events/cancel_done.html", registration=registration, again=True),
            410,
        )
    return registration, None


@bp.get("/events/cancel/<cancel_token>")
@public
def cancel(cancel_token: str):
    registration, error = _registration_or_error(cancel_token)
    if error:
        return error
    return render_template(
        "events/cancel.html", registration=registration, form=ConfirmForm(),
        closed=registration.event.starts_at <= utcnow(),
    )  # fmt: skip


@bp.post("/events/cancel/<cancel_token>")
@public
@limiter.limit(public_form_limit)
def cancel_confirm(cancel_token: str):
    registration, error = _registration_or_error(cancel_token)
    if error:
        return error
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        events.cancel(registration)
    except events.EventError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("events.cancel", cancel_token=cancel_token))
    db.session.commit()
    return render_template("events/cancel_done.html", registration=registration, again=False)


@bp.route("/trainings/request", methods=["GET", "POST"])
@public
@limiter.limit(public_form_limit, methods=["POST"])
def request_training():
    form = TrainingRequestForm()
    if form.validate_on_submit():
        details = trainings.RequestDetails(
            organisation_name=form.organisation_name.data,
            organisation_type=form.organisation_type.data,
            first_name=form.first_name.data, last_name=form.last_name.data,
            email=form.email.data, phone=form.phone.data or None,
            audience=form.audience.data, estimated_size=form.estimated_size.data,
            preferred_dates=[to_utc(f.data) for f in
                             (form.preferred_1, form.preferred_2, form.preferred_3)],
            place=form.place.data, notes=form.notes.data or None,
        )  # fmt: skip
        try:
            trainings.submit_request(details)
        except events.EventError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("events.training_requested"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("events/request_training.html", form=form), status


@bp.get("/trainings/request/thanks")
@public
def training_requested():
    return render_template("events/request_thanks.html")
