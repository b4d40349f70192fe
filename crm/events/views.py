"""The public side: upcoming events, an event's page, registration, the private cancel link,
the calendar feed and the training request form."""

from flask import (
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
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
from crm.events.models import Event, EventType, Registration, RegistrationStatus
from crm.extensions import db, limiter
from crm.forms import ConfirmForm, public_form_limit
from crm.modelbase import utcnow

# The visitor's own browser remembers, per event, the cancel token of the registration it
# made, so that the event's page shows "you are registered" instead of the form. It is the
# same secret the confirmation email carries, kept in the signed session cookie only.
REMEMBERED = "event_registrations"
MAX_REMEMBERED = 10


def _remember(event_id: int, token: str) -> None:
    kept = {k: v for k, v in session.get(REMEMBERED, {}).items() if k != str(event_id)}
    kept[str(event_id)] = token
    session[REMEMBERED] = dict(list(kept.items())[-MAX_REMEMBERED:])


def _remembered(event_id: int) -> tuple[Registration, str] | None:
    token = session.get(REMEMBERED, {}).get(str(event_id))
    registration = events.registration_for_token(token) if token else None
    if (
        registration is None
        or registration.event_id != event_id
        or registration.status == RegistrationStatus.CANCELLED
    ):
        return None
    return registration, token


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
    return render_template(
        "events/index.html", form=form, events=found, seats_left=events.seats_left_of(found),
        closed={e.id: events.registration_problem(e) for e in found},
    )  # fmt: skip


@bp.get("/events.ics")
@public
def feed():
    body = calendar.feed_ics(events.upcoming_public_events(cancelled=True))
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'inline; filename="events.ics"'},
    )


@bp.get("/events/<int:event_id>.ics")
@public
def event_ics(event_id: int):
    event = public_event(event_id)
    return Response(
        calendar.public_event_ics(event),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="event-{event.id}.ics"'},
    )


def _no_store(body, status: int = 200):
    """Pages with the visitor's own registration, or a form's CSRF token, stay out of caches."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _render_event(event: Event, form: RegistrationForm, status: int = 200, mine=None):
    return _no_store(
        render_template(
            "events/show.html",
            event=event,
            form=form,
            seats_left=events.seats_left(event),
            closed=events.registration_problem(event),
            mine=mine,
            google_url=calendar.google_calendar_url(event),
        ),
        status,
    )


@bp.get("/events/<int:event_id>")
@public
def show(event_id: int):
    event = public_event(event_id)
    mine = None if request.args.get("another") else _remembered(event.id)
    return _render_event(event, RegistrationForm(), mine=mine)


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
        _, token = events.register(event.id, registrant)
    except events.AlreadyRegistered as exc:
        db.session.rollback()
        mine = _remembered(event_id)
        if mine is not None and mine[0].id == exc.registration.id:
            return redirect(url_for("events.registered", event_id=event_id))
        return _render_registered(db.session.get(Event, event_id), None, None, form.email.data)
    except events.EventError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _render_event(db.session.get(Event, event_id), form, 409)
    db.session.commit()
    _remember(event.id, token)
    return redirect(url_for("events.registered", event_id=event.id))


def _render_registered(event: Event, registration, token, already_email=None):
    waitlisted = registration is not None and registration.status == RegistrationStatus.WAITLISTED
    if already_email:
        heading = "You are already registered"
    else:
        heading = "You are on the waitlist" if waitlisted else "You are registered"
    return _no_store(render_template(
        "events/registered.html", event=event, registration=registration, heading=heading,
        waitlisted=waitlisted, already_email=already_email,
        cancel_url=url_for("events.cancel", cancel_token=token) if token else None,
        google_url=calendar.google_calendar_url(event),
    ))  # fmt: skip


@bp.get("/events/<int:event_id>/registered")
@public
def registered(event_id: int):
    """The confirmation after registering, for the browser that registered."""
    event = public_event(event_id)
    mine = _remembered(event.id)
    if mine is None:
        return redirect(url_for("events.show", event_id=event.id))
    return _render_registered(event, *mine)


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
