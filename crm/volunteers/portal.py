"""The public application form and the volunteer portal: open shifts with the reasons some
are closed to me, my shifts (with .ics and a private feed), credentials, hours and profile.
Every portal view works on the signed-in volunteer's own records only."""

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from crm.auth.access import public, role_required
from crm.auth.roles import Role
from crm.auth.tokens import hash_token, new_token
from crm.contacts.views import get_or_404
from crm.events.urls import absolute_url
from crm.extensions import db, limiter
from crm.forms import ConfirmForm
from crm.modelbase import utcnow
from crm.volunteers import applications, bp, calendar, eligibility, hours, services
from crm.volunteers.forms import ApplicationForm, LogHoursForm, ProfileForm
from crm.volunteers.models import ACTIVE_SIGNUP, Shift, Signup, SignupStatus, Volunteer

volunteers_only = role_required(Role.VOLUNTEER)


def apply_limit() -> str:
    return current_app.config["VOLUNTEER_APPLY_RATE_LIMIT"]


@bp.route("/volunteer/apply", methods=["GET", "POST"])
@public
@limiter.limit(apply_limit, methods=["POST"])
def apply():
    form = ApplicationForm()
    if form.validate_on_submit():
        details = applications.ApplicationDetails(
            first_name=form.first_name.data, last_name=form.last_name.data,
            email=form.email.data, phone=form.phone.data or None,
            emergency_name=form.emergency_name.data, emergency_phone=form.emergency_phone.data,
            adult=form.adult.data == "yes", conduct_agreed=form.conduct.data,
            roles=list(form.roles.data or []), skills=form.skills.data or None,
            languages=form.languages.data or None, availability=form.availability.data or None,
        )  # fmt: skip
        try:
            applications.submit(details)
        except services.VolunteerError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("volunteers.applied"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("volunteers/apply.html", form=form), status


@bp.get("/volunteer/apply/thanks")
@public
def applied():
    return render_template("volunteers/applied.html")


@bp.get("/volunteer/calendar/<token>.ics")
@public
def feed(token: str):
    """A volunteer's shifts for their calendar app; the URL is the only key."""
    if not token or len(token) > 100:
        abort(404)
    volunteer = db.session.scalar(
        select(Volunteer).where(Volunteer.feed_token_hash == hash_token(token), Volunteer.active)
    )
    if volunteer is None:
        abort(404)
    return _ics_response(volunteer, inline=True)


# --- the portal ---------------------------------------------------------------------------


def current_volunteer() -> Volunteer | None:
    contact_id = getattr(current_user, "contact_id", None)
    if contact_id is None:
        return None
    return db.session.scalar(select(Volunteer).where(Volunteer.contact_id == contact_id))


def _mine() -> Volunteer:
    volunteer = current_volunteer()
    if volunteer is None:
        abort(404)
    return volunteer


def _no_profile():
    return render_template("volunteers/portal/no_profile.html")


def my_signups(volunteer: Volunteer, upcoming_only: bool = True) -> list[Signup]:
    query = (
        select(Signup)
        .join(Shift)
        .options(contains_eager(Signup.shift))
        .where(Signup.volunteer_id == volunteer.id, Signup.status.in_(ACTIVE_SIGNUP))
        .order_by(Shift.starts_at)
    )
    if upcoming_only:
        query = query.where(Shift.ends_at > utcnow())
    return list(db.session.scalars(query))


@bp.get("/my/volunteering")
@volunteers_only
def portal():
    volunteer = current_volunteer()
    if volunteer is None:
        return _no_profile()
    now = utcnow()
    mine = my_signups(volunteer)
    taken = {s.shift_id for s in mine}
    shifts = [s for s in services.upcoming_shifts(now) if s.id not in taken and s.starts_at > now]
    filled = services.places_taken_of([s.id for s in shifts])
    youth = eligibility.youth_facing_types()
    open_shifts = [
        (
            shift,
            max(shift.capacity - filled.get(shift.id, 0), 0),
            eligibility.problems(volunteer, shift, now=now, youth_types=youth),
        )
        for shift in shifts
    ]
    return render_template(
        "volunteers/portal/index.html", volunteer=volunteer, mine=mine, open_shifts=open_shifts,
        confirm_form=ConfirmForm(), cutoff=services.cancel_cutoff(), now=now,
    )  # fmt: skip


@bp.post("/my/volunteering/shifts/<int:shift_id>/sign-up")
@volunteers_only
def sign_up(shift_id: int):
    volunteer = _mine()
    get_or_404(Shift, shift_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        signup = services.sign_up(shift_id, volunteer)
    except services.VolunteerError as exc:
        db.session.rollback()
        flash(f"You are not signed up. {exc}", "danger")
    else:
        db.session.commit()
        if signup.status == SignupStatus.CONFIRMED:
            flash(f"You are on the shift “{signup.shift.title}”. We emailed you the details.",
                  "success")  # fmt: skip
        else:
            flash("The shift is full, so you are on its waitlist. We will email you as soon as "
                  "a place is yours.", "info")  # fmt: skip
    return redirect(url_for("volunteers.portal"))


@bp.post("/my/volunteering/sign-ups/<int:signup_id>/cancel")
@volunteers_only
def cancel(signup_id: int):
    volunteer = _mine()
    signup = get_or_404(Signup, signup_id)
    if signup.volunteer_id != volunteer.id:
        abort(404)  # somebody else's: as if it did not exist
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.cancel(signup)
    except services.VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"You are no longer on “{signup.shift.title}”. Thank you for telling us.", "success")
    return redirect(url_for("volunteers.portal"))


def _ics_response(volunteer: Volunteer, inline: bool) -> Response:
    shifts = [s.shift for s in my_signups(volunteer) if s.status == SignupStatus.CONFIRMED]
    body = calendar.shifts_ics(shifts, name=f"{current_app.config['ORG_NAME']}: my shifts")
    disposition = "inline" if inline else "attachment"
    return Response(
        body, mimetype="text/calendar",
        headers={"Content-Disposition": f'{disposition}; filename="my-shifts.ics"'},
    )  # fmt: skip


@bp.get("/my/volunteering/shifts.ics")
@volunteers_only
def my_ics():
    return _ics_response(_mine(), inline=False)


@bp.route("/my/volunteering/calendar", methods=["GET", "POST"])
@volunteers_only
def calendar_link():
    """The private feed address. Only its hash is kept, so it is shown once, when made;
    making a new one stops the old one."""
    volunteer = current_volunteer()
    if volunteer is None:
        return _no_profile()
    url = None
    form = ConfirmForm()
    if form.validate_on_submit():
        token, volunteer.feed_token_hash = new_token()
        db.session.commit()
        url = absolute_url("volunteers.feed", token=token)
    return render_template(
        "volunteers/portal/calendar.html", volunteer=volunteer, url=url, form=form
    )


@bp.get("/my/volunteering/credentials")
@volunteers_only
def my_credentials():
    volunteer = current_volunteer()
    if volunteer is None:
        return _no_profile()
    return render_template(
        "volunteers/portal/credentials.html", volunteer=volunteer,
        today=eligibility.local_today(utcnow()),
    )  # fmt: skip


@bp.route("/my/volunteering/hours", methods=["GET", "POST"])
@volunteers_only
def my_hours():
    volunteer = current_volunteer()
    if volunteer is None:
        return _no_profile()
    form = LogHoursForm()
    if form.validate_on_submit():
        minutes = int(round(form.hours.data * 60))
        try:
            hours.log_hours(
                volunteer, form.day.data, minutes, form.role.data, form.description.data
            )
        except services.VolunteerError as exc:
            db.session.rollback()
            form.day.errors = [*form.day.errors, str(exc)]
        else:
            db.session.commit()
            flash("Hours logged; a coordinator will approve them.", "success")
            return redirect(url_for("volunteers.my_hours"))
    status = 422 if form.errors else 200
    return render_template(
        "volunteers/portal/hours.html", volunteer=volunteer, form=form,
        entries=hours.entries_of(volunteer), totals=hours.totals(volunteer.id),
    ), status  # fmt: skip


@bp.route("/my/volunteering/profile", methods=["GET", "POST"])
@volunteers_only
def my_profile():
    volunteer = current_volunteer()
    if volunteer is None:
        return _no_profile()
    form = ProfileForm(obj=volunteer)
    if form.validate_on_submit():
        for name in ("roles", "skills", "languages", "availability", "emergency_name",
                     "emergency_phone"):  # fmt: skip
            value = getattr(form, name).data
            setattr(volunteer, name, list(value or []) if name == "roles" else value or None)
        db.session.commit()
        flash("Your profile is saved.", "success")
        return redirect(url_for("volunteers.my_profile"))
    status = 422 if form.errors else 200
    return render_template("volunteers/portal/profile.html", volunteer=volunteer, form=form), status
