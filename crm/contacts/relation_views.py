"""Relationships between people, and households: staff pages and the forms on a contact's
page. A household's page shows its giving only to the roles that see money (the donations
domain adds that panel)."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from crm.auth.access import staff_required
from crm.contacts import bp, relations
from crm.contacts.forms import HouseholdForm, HouseholdMemberForm, RelationshipForm
from crm.contacts.models import Contact, Household, Relationship, RelationshipKind
from crm.contacts.panels import panels_for
from crm.contacts.services import ContactError
from crm.contacts.views import get_contact, get_or_404, page_number
from crm.extensions import db
from crm.forms import ConfirmForm
from crm.paging import paginate_rows


def _errors(form) -> str:
    return "; ".join(f"{f.label.text}: {' '.join(f.errors)}" for f in form if f.errors)


def _region() -> str:
    return current_app.config["DEFAULT_PHONE_REGION"]


@bp.post("/contacts/<int:contact_id>/relationships")
@staff_required
def add_relationship(contact_id: int):
    contact = get_contact(contact_id)
    form = RelationshipForm()
    if not form.validate_on_submit():
        flash("The link was not added: " + _errors(form), "danger")
        return redirect(url_for("contacts.show", contact_id=contact.id, _anchor="people"))
    try:
        other = relations.find_contact(form.person.data, _region())
        relations.relate(contact, other, RelationshipKind(form.kind.data), form.note.data)
    except ContactError as exc:
        db.session.rollback()
        flash(f"The link was not added: {exc}", "danger")
    else:
        db.session.commit()
        flash(f"Linked to {other.full_name}.", "success")
    return redirect(url_for("contacts.show", contact_id=contact.id, _anchor="people"))


@bp.post("/contacts/<int:contact_id>/relationships/<int:relationship_id>/delete")
@staff_required
def remove_relationship(contact_id: int, relationship_id: int):
    link = get_or_404(Relationship, relationship_id)
    if (
        contact_id not in (link.contact_id, link.related_id)
        or not ConfirmForm().validate_on_submit()
    ):
        abort(404)
    relations.unrelate(link)
    db.session.commit()
    flash("Link removed.", "success")
    return redirect(url_for("contacts.show", contact_id=contact_id, _anchor="people"))


@bp.post("/contacts/<int:contact_id>/household")
@staff_required
def start_household(contact_id: int):
    contact = get_contact(contact_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        household = relations.start_household(contact)
    except ContactError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("contacts.show", contact_id=contact.id))
    db.session.commit()
    flash("Household started. Add the people who live with them.", "success")
    return redirect(url_for("contacts.household", household_id=household.id))


@bp.get("/households/")
@staff_required
def households():
    q = request.args.get("q", "").strip()[:200]
    members = (  # counted for the page's rows only, by the household index
        select(func.count(Contact.id))
        .where(Contact.household_id == Household.id)
        .correlate(Household)
        .scalar_subquery()
    )
    query = select(Household, members)
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(Household.name).like(like, escape="\\"))
    sort = request.args.get("sort", "name")
    query = query.order_by(
        *{"newest": (Household.created_at.desc(), Household.id.desc())}.get(
            sort, (Household.name, Household.id)
        )
    )
    pagination = paginate_rows(query, page_number())
    return render_template("contacts/households.html", pagination=pagination, q=q, sort=sort)


@bp.route("/households/<int:household_id>", methods=["GET", "POST"])
@staff_required
def household(household_id: int):
    found = relations.household_with_members(household_id) if household_id <= 2**31 - 1 else None
    if found is None:
        abort(404)
    form = HouseholdForm(obj=found)
    if form.validate_on_submit():
        relations.update_household(found, form.household_data(), form.share_address.data)
        db.session.commit()
        flash("Household saved.", "success")
        return redirect(url_for("contacts.household", household_id=found.id))
    return render_template(
        "contacts/household.html", household=found, form=form, member_form=HouseholdMemberForm(),
        confirm_form=ConfirmForm(), panels=panels_for(found, "household"),
    )  # fmt: skip


@bp.post("/households/<int:household_id>/members")
@staff_required
def add_household_member(household_id: int):
    found = get_or_404(Household, household_id)
    form = HouseholdMemberForm()
    if not form.validate_on_submit():
        flash("Nobody was added: " + _errors(form), "danger")
        return redirect(url_for("contacts.household", household_id=found.id))
    try:
        person = relations.find_contact(form.person.data, _region())
        relations.add_member(found, person, form.take_address.data)
    except ContactError as exc:
        db.session.rollback()
        flash(f"Nobody was added: {exc}", "danger")
    else:
        db.session.commit()
        flash(f"{person.full_name} is in the household.", "success")
    return redirect(url_for("contacts.household", household_id=found.id))


@bp.post("/households/<int:household_id>/members/<int:contact_id>/delete")
@staff_required
def remove_household_member(household_id: int, contact_id: int):
    found = get_or_404(Household, household_id)
    person = get_contact(contact_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        relations.remove_member(found, person)
    except ContactError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"{person.full_name} left the household.", "success")
    return redirect(url_for("contacts.household", household_id=found.id))
