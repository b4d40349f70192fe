"""Coordinators' screens for people: the overview, applications, volunteers and their
credentials; credential types and background-check details for admins."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from crm.audit.services import record_event
from crm.auth.access import role_required
from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.contacts.views import get_or_404
from crm.extensions import db
from crm.formats import format_date
from crm.forms import ConfirmForm
from crm.volunteers import applications, bp, hours, services
from crm.volunteers.applications import OPEN_STATUSES
from crm.volunteers.forms import (
    CredentialForm,
    CredentialStatusForm,
    CredentialTypeForm,
    DeactivateForm,
    MessageForm,
    VolunteerProfileForm,
)
from crm.volunteers.models import (
    Application,
    Credential,
    CredentialType,
    Signup,
    Volunteer,
)

coordinators = role_required(Role.COORDINATOR)
admins = role_required(Role.ADMIN)
EXPIRY_LIST_DAYS = 60


@bp.get("/volunteers/")
@coordinators
def index():
    inactive = request.args.get("show") == "inactive"
    volunteers = db.session.scalars(
        select(Volunteer)
        .join(Volunteer.contact)
        .options(contains_eager(Volunteer.contact))
        .where(Volunteer.active.is_(not inactive))
        .order_by(Contact.last_name, Contact.first_name, Volunteer.id)
    ).all()
    waiting = db.session.scalar(
        select(func.count()).select_from(Application).where(Application.status.in_(OPEN_STATUSES))
    )
    shifts = services.upcoming_shifts()[:20]
    return render_template(
        "volunteers/index.html", volunteers=volunteers, waiting=waiting, shifts=shifts,
        inactive=inactive,
        inactive_count=db.session.scalar(
            select(func.count()).select_from(Volunteer).where(Volunteer.active.is_(False))
        ),
        expiring=services.expiring_credentials(EXPIRY_LIST_DAYS),
        places_taken=services.places_taken_of([s.id for s in shifts]),
    )  # fmt: skip


@bp.get("/volunteers/<int:volunteer_id>")
@coordinators
def volunteer(volunteer_id: int):
    person = get_or_404(Volunteer, volunteer_id)
    signups = db.session.scalars(
        select(Signup).where(Signup.volunteer_id == person.id).order_by(Signup.id.desc())
    ).all()
    types = services.credential_types(active_only=True)
    form = CredentialForm()
    form.type_id.choices = _type_choices(types)
    return render_template(
        "volunteers/volunteer.html", volunteer=person, signups=signups, form=form,
        totals=hours.totals(person.id), entries=hours.entries_of(person)[:50],
        confirm_form=ConfirmForm(), status_form=CredentialStatusForm(),
        deactivate_form=DeactivateForm(),
    )  # fmt: skip


@bp.route("/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
@coordinators
def edit_volunteer(volunteer_id: int):
    person = get_or_404(Volunteer, volunteer_id)
    form = VolunteerProfileForm(obj=person)
    if form.validate_on_submit():
        person.roles = form.roles.data or []
        for name in ("skills", "languages", "availability", "emergency_name", "emergency_phone"):
            setattr(person, name, getattr(form, name).data or None)
        db.session.commit()
        flash(f"{person.name}'s profile saved.", "success")
        return redirect(url_for("volunteers.volunteer", volunteer_id=person.id))
    return render_template("volunteers/edit_volunteer.html", volunteer=person, form=form)


@bp.post("/volunteers/<int:volunteer_id>/deactivate")
@coordinators
def deactivate_volunteer(volunteer_id: int):
    get_or_404(Volunteer, volunteer_id)
    form = DeactivateForm()
    if not form.validate_on_submit():
        flash("Say why the volunteer is being deactivated; nothing was changed.", "danger")
        return redirect(url_for("volunteers.volunteer", volunteer_id=volunteer_id))
    person = services.lock_volunteer(volunteer_id)
    try:
        removed = services.deactivate(person, form.reason.data, current_user)
    except services.VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        shifts = f" and taken off {len(removed)} coming shift{'s' if len(removed) != 1 else ''}"
        flash(f"{person.name} is no longer an active volunteer{shifts if removed else ''}.",
              "success")  # fmt: skip
    return redirect(url_for("volunteers.volunteer", volunteer_id=volunteer_id))


@bp.post("/volunteers/<int:volunteer_id>/reactivate")
@coordinators
def reactivate_volunteer(volunteer_id: int):
    get_or_404(Volunteer, volunteer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    person = services.lock_volunteer(volunteer_id)
    try:
        services.reactivate(person, current_user)
    except services.VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"{person.name} is an active volunteer again.", "success")
    return redirect(url_for("volunteers.volunteer", volunteer_id=volunteer_id))


def _type_choices(types: list[CredentialType]) -> list[tuple[int, str]]:
    allowed = [t for t in types if not t.sensitive or current_user.role == Role.ADMIN]
    return [(t.id, t.name) for t in allowed]


@bp.post("/volunteers/<int:volunteer_id>/credentials")
@coordinators
def record_credential(volunteer_id: int):
    person = get_or_404(Volunteer, volunteer_id)
    form = CredentialForm()
    form.type_id.choices = _type_choices(services.credential_types(active_only=True))
    if not form.validate_on_submit():
        errors = [f"{f.label.text}: {' '.join(f.errors)}" for f in form if f.errors]
        flash("The credential was not recorded. " + "; ".join(errors), "danger")
        return redirect(url_for("volunteers.volunteer", volunteer_id=person.id))
    credential_type = db.session.get(CredentialType, form.type_id.data)
    try:
        credential = services.record_credential(
            person, credential_type, form.status.data, form.completed_on.data,
            form.details.data or None, current_user,
        )  # fmt: skip
    except services.VolunteerError as exc:
        db.session.rollback()
        flash(f"The credential was not recorded. {exc}", "danger")
    else:
        db.session.commit()
        expiry = (
            f", valid until {format_date(credential.expires_on, 'long')}"
            if credential.expires_on
            else ""
        )
        flash(f"{credential_type.name} recorded: {credential.status.label.lower()}{expiry}.",
              "success")  # fmt: skip
    return redirect(url_for("volunteers.volunteer", volunteer_id=person.id))


@bp.post("/volunteers/credentials/<int:credential_id>/status")
@coordinators
def credential_status(credential_id: int):
    credential = get_or_404(Credential, credential_id)
    form = CredentialStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.change_credential_status(
            credential, form.status.data, form.completed_on.data, current_user
        )
    except services.VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"{credential.type.name} is now {credential.status.label.lower()}.", "success")
    return redirect(url_for("volunteers.volunteer", volunteer_id=credential.volunteer_id))


@bp.get("/volunteers/credentials/<int:credential_id>")
@admins
def credential(credential_id: int):
    """A credential with its details (a background check's provider, reference, findings).
    Admins only, and every view is written to the audit log."""
    record = get_or_404(Credential, credential_id)
    record_event(
        "credential_viewed", "Credential", record.id,
        {"type": record.type.name, "volunteer_id": record.volunteer_id},
        summary=f"Viewed the {record.type.name.lower()} of {record.volunteer.name}",
    )  # fmt: skip
    db.session.commit()
    return render_template("volunteers/credential.html", credential=record)


# --- applications -------------------------------------------------------------------------


@bp.get("/volunteers/applications/")
@coordinators
def applications_queue():
    rows = db.session.scalars(
        select(Application)
        .options(selectinload(Application.contact))
        .order_by(Application.status.not_in(OPEN_STATUSES), Application.created_at.desc())
        .limit(200)
    ).all()
    return render_template("volunteers/applications.html", applications=rows)


@bp.get("/volunteers/applications/<int:application_id>")
@coordinators
def application(application_id: int):
    record = get_or_404(Application, application_id)
    return render_template(
        "volunteers/application.html", application=record, decline=MessageForm(prefix="decline"),
        ask=MessageForm(prefix="ask"), confirm_form=ConfirmForm(),
        volunteer=applications.volunteer_of(record.contact),
    )  # fmt: skip


@bp.post("/volunteers/applications/<int:application_id>/approve")
@coordinators
def approve(application_id: int):
    record = get_or_404(Application, application_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        person = applications.approve(record, current_user)
    except (services.VolunteerError, ValueError) as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("volunteers.application", application_id=application_id))
    db.session.commit()
    flash(f"{person.name} is a volunteer now and was emailed an invitation to sign in.",
          "success")  # fmt: skip
    return redirect(url_for("volunteers.volunteer", volunteer_id=person.id))


def _message_decision(application_id: int, prefix: str, decide, done: str):
    record = get_or_404(Application, application_id)
    form = MessageForm(prefix=prefix)
    if form.validate_on_submit():
        try:
            decide(record, form.message.data, current_user)
        except services.VolunteerError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(url_for("volunteers.applications_queue"))
    forms = {"decline": MessageForm(prefix="decline"), "ask": MessageForm(prefix="ask")}
    forms[prefix] = form
    return render_template(
        "volunteers/application.html", application=record, confirm_form=ConfirmForm(),
        volunteer=applications.volunteer_of(record.contact), **forms,
    ), 422  # fmt: skip


@bp.post("/volunteers/applications/<int:application_id>/decline")
@coordinators
def decline(application_id: int):
    return _message_decision(
        application_id, "decline", applications.decline,
        "Application declined; the applicant was sent your reason.",
    )  # fmt: skip


@bp.post("/volunteers/applications/<int:application_id>/ask")
@coordinators
def ask(application_id: int):
    return _message_decision(
        application_id, "ask", applications.ask_for_information,
        "Your question was emailed to the applicant.",
    )  # fmt: skip


# --- credential types (admins) ------------------------------------------------------------


@bp.route("/volunteers/credential-types/", methods=["GET", "POST"])
@admins
def credential_types():
    form = CredentialTypeForm()
    if form.validate_on_submit():
        try:
            services.create_credential_type(
                form.name.data, form.validity_days.data, form.sensitive.data
            )
        except services.VolunteerError as exc:
            db.session.rollback()
            form.name.errors = [str(exc)]
        else:
            db.session.commit()
            flash(f"Credential type “{form.name.data}” added.", "success")
            return redirect(url_for("volunteers.credential_types"))
    return render_template(
        "volunteers/credential_types.html", form=form, types=services.credential_types(),
        missing_defaults=_missing_defaults(),
    )  # fmt: skip


def _missing_defaults() -> list[str]:
    keys = set(
        db.session.scalars(select(CredentialType.key).where(CredentialType.key.is_not(None)))
    )
    return [name for key, name, _, _ in services.DEFAULT_CREDENTIAL_TYPES if key not in keys]


@bp.post("/volunteers/credential-types/defaults")
@admins
def add_default_types():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    added = services.ensure_default_credential_types()
    db.session.commit()
    flash(f"Added {len(added)} standard credential type(s).", "success")
    return redirect(url_for("volunteers.credential_types"))


@bp.post("/volunteers/credential-types/<int:credential_type_id>/validity")
@admins
def set_validity(credential_type_id: int):
    credential_type = get_or_404(CredentialType, credential_type_id)
    raw = request.form.get("validity_days", "").strip()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if raw and (not raw.isdigit() or not 1 <= int(raw) <= 36_500):
        flash("The validity must be a number of days between 1 and 36500, or empty.", "danger")
        return redirect(url_for("volunteers.credential_types"))
    credential_type.validity_days = int(raw) if raw else None
    db.session.commit()
    flash(f"“{credential_type.name}” now applies to credentials recorded from today; "
          "those already recorded keep their expiry date.", "success")  # fmt: skip
    return redirect(url_for("volunteers.credential_types"))
