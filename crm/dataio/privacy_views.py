"""A contact's consent log, data export and erasure."""

import json
from datetime import UTC, datetime

from flask import Response, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.auth.access import role_required, staff_required
from crm.auth.roles import Role
from crm.contacts.timeline import ContactAction, contact_action_source
from crm.contacts.views import get_contact
from crm.csvutil import csv_response
from crm.dataio import bp, erasers, privacy  # noqa: F401  (erasers registers itself)
from crm.dataio.forms import CONSENT_TOPICS, ConsentForm, EraseForm
from crm.dataio.models import ConsentMethod, ConsentRecord
from crm.extensions import db


@contact_action_source
def _actions(contact):
    if current_user.is_authenticated and current_user.has_role(Role.COORDINATOR):
        yield ContactAction("Consent log", url_for("dataio.consent", contact_id=contact.id))
    if current_user.is_authenticated and current_user.role == Role.ADMIN:
        yield ContactAction("Their data", url_for("dataio.personal_data", contact_id=contact.id))


@bp.route("/contacts/<int:contact_id>/consent", methods=["GET", "POST"])
@staff_required
def consent(contact_id: int):
    contact = get_contact(contact_id)
    form = ConsentForm()
    if form.validate_on_submit():
        day = form.given_on.data
        db.session.add(ConsentRecord(
            contact=contact, topic=form.topic.data, granted=form.granted.data == "yes",
            method=ConsentMethod(form.method.data), recorded_by_id=current_user.id,
            given_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
            note=form.note.data or None,
        ))  # fmt: skip
        db.session.commit()
        flash("Consent recorded.", "success")
        return redirect(url_for("dataio.consent", contact_id=contact.id))
    records = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.contact_id == contact.id)
        .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
    ).all()  # fmt: skip
    return render_template("dataio/consent.html", contact=contact, form=form, records=records,
                           topics=CONSENT_TOPICS)  # fmt: skip


@bp.route("/contacts/<int:contact_id>/data")
@role_required(Role.ADMIN)
def personal_data(contact_id: int):
    contact = get_contact(contact_id)
    return render_template("dataio/personal_data.html", contact=contact, form=EraseForm())


@bp.route("/contacts/<int:contact_id>/data.json")
@role_required(Role.ADMIN)
def export_json(contact_id: int):
    data = privacy.export_contact(get_contact(contact_id))
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="contact-{contact_id}.json"'})  # fmt: skip


@bp.route("/contacts/<int:contact_id>/data.csv")
@role_required(Role.ADMIN)
def export_csv(contact_id: int):
    data = privacy.export_contact(get_contact(contact_id))
    return csv_response(f"contact-{contact_id}.csv", ["record", "number", "field", "value"],
                        privacy.export_rows(data))  # fmt: skip


@bp.route("/contacts/<int:contact_id>/erase", methods=["POST"])
@role_required(Role.ADMIN)
def erase(contact_id: int):
    contact = get_contact(contact_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return render_template("dataio/personal_data.html", contact=contact, form=form), 400
    try:
        erasure = privacy.erase_contact(contact, form.reason.data, current_user)
    except privacy.ErasureRefused as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("dataio.personal_data", contact_id=contact_id))
    db.session.commit()
    flash(
        "The person's data was erased."
        + (f" Kept, anonymised: {erasure.kept}." if erasure.kept else ""),
        "success",
    )
    return redirect(url_for("contacts.index"))
