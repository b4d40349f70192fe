from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from crm.auth.access import role_required, staff_required
from crm.auth.roles import Role
from crm.contacts import bp, relations
from crm.contacts import export as contact_export
from crm.contacts import services as contacts
from crm.contacts.columns import list_columns
from crm.contacts.forms import (
    AffiliationForm,
    ContactFilterForm,
    ContactForm,
    MergeForm,
    NoteForm,
    RelationshipForm,
)
from crm.contacts.models import Affiliation, AffiliationKind, Contact, Organisation, Tag
from crm.contacts.panels import panels_for
from crm.contacts.timeline import GROUPS, Cursor, actions_for, timeline_page
from crm.csvutil import csv_response
from crm.extensions import db
from crm.forms import ConfirmForm
from crm.paging import CappedPagination

# What each row shows, loaded for the whole page at once (not one contact at a time).
LIST_LOADS = (
    selectinload(Contact.tags),
    selectinload(Contact.affiliations).selectinload(Affiliation.organisation),
)
# Matches are counted up to this many ("more than 10,000"): the count then costs the same in
# a hundred thousand contacts as in a million.
COUNT_CAP = 10_000
# Ids and page numbers come from URLs; past these a database raises instead of finding nothing.
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000


def get_or_404(model, record_id: int | None):
    if record_id is None or not 0 < record_id <= MAX_ID:
        abort(404)
    return db.get_or_404(model, record_id)


def get_contact(contact_id: int) -> Contact:
    return get_or_404(Contact, contact_id)


def page_number() -> int:
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def _filter_from_request() -> tuple[ContactFilterForm, contacts.ContactFilter]:
    form = ContactFilterForm(request.args)
    tags = db.session.scalars(select(Tag).order_by(Tag.name))
    form.tag.choices = {"": "Any", **{str(t.id): t.name for t in tags}}
    if not form.validate():
        form.q.data = (form.q.data or "")[:200]
        form.organisation.data = (form.organisation.data or "")[:200]
    organisation = form.organisation.data or ""
    yes_no = {"yes": True, "no": False}
    return form, contacts.ContactFilter(
        q=form.q.data or "",
        tag_id=_int_or_none(form.tag.data),
        organisation_id=_int_or_none(organisation),
        organisation_name="" if organisation.isdigit() else organisation,
        email_opt_in=yes_no.get(form.email_opt_in.data),
        do_not_contact=yes_no.get(form.do_not_contact.data),
        sort=form.sort.data or "name",
    )


def _int_or_none(value) -> int | None:
    return int(value) if value and str(value).isdigit() and int(value) <= MAX_ID else None


@bp.get("/contacts/")
@staff_required
def index():
    form, contact_filter = _filter_from_request()
    pagination = CappedPagination(
        select=contacts.contact_query(contact_filter).options(*LIST_LOADS),
        session=db.session,
        cap=COUNT_CAP,
        page=page_number(),
        per_page=current_app.config["CONTACTS_PER_PAGE"],
        error_out=False,
    )
    export_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "contacts/index.html", form=form, pagination=pagination, export_args=export_args,
        columns=list_columns([c.id for c in pagination.items]),
        organisation_names=db.session.scalars(
            select(Organisation.name).order_by(Organisation.name_key).limit(300)
        ),
    )  # fmt: skip


@bp.get("/contacts/export.csv")
@staff_required
def export():
    _, contact_filter = _filter_from_request()
    return csv_response(
        "contacts.csv", contact_export.HEADER, contact_export.export_rows(contact_filter)
    )


@bp.route("/contacts/new", methods=["GET", "POST"])
@staff_required
def create():
    form = ContactForm()
    if request.method == "GET":
        form.country.data = current_app.config["DEFAULT_PHONE_REGION"]
    duplicates = []
    if form.validate_on_submit():
        duplicates = contacts.find_duplicates(
            email=form.email.data, phone=form.phone.data, first_name=form.first_name.data,
            last_name=form.last_name.data, postcode=form.postcode.data,
        )  # fmt: skip
        if not duplicates or form.confirm_duplicate.data:
            contact = contacts.create_contact(form.contact_data(), form.tag_names())
            db.session.commit()
            flash(f"Contact {contact.full_name} created.", "success")
            return redirect(url_for("contacts.show", contact_id=contact.id))
        form.confirm_duplicate.errors = ["This looks like a contact we already have."]
    return render_template("contacts/form.html", form=form, contact=None, duplicates=duplicates)


@bp.get("/contacts/<int:contact_id>")
@staff_required
def show(contact_id: int):
    if not 0 < contact_id <= MAX_ID:
        abort(404)
    contact = db.first_or_404(
        select(Contact)
        .where(Contact.id == contact_id)
        .options(
            selectinload(Contact.tags),
            selectinload(Contact.affiliations).joinedload(Affiliation.organisation),
            joinedload(Contact.household),
        )
    )
    group = request.args.get("kind")
    group = group if group in visible_groups() else None
    page = timeline_page(contact, group, Cursor.decode(request.args.get("before")))
    return render_template(
        "contacts/show.html",
        contact=contact,
        timeline=page,
        groups=visible_groups(),
        panels=panels_for(contact),
        links=relations.links_of(contact.id),
        actions=actions_for(contact),
        note_form=NoteForm(),
        affiliation_form=AffiliationForm(),
        relationship_form=RelationshipForm(),
        confirm_form=ConfirmForm(),
        organisation_names=db.session.scalars(
            select(Organisation.name).order_by(Organisation.name_key).limit(500)
        ),
    )


def visible_groups() -> dict[str, str]:
    """The timeline's filters this user may choose (gifts only for money roles)."""
    return {
        k: v for k, v in GROUPS.items() if k != "gifts" or current_user.has_role(Role.FUNDRAISER)
    }


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(contact_id: int):
    contact = get_contact(contact_id)
    form = ContactForm(obj=contact)
    if request.method == "GET":
        form.tags.data = ", ".join(t.name for t in contact.tags)
    duplicates = []
    if form.validate_on_submit():
        duplicates = contacts.find_duplicates(
            email=form.email.data, phone=form.phone.data, first_name=form.first_name.data,
            last_name=form.last_name.data, postcode=form.postcode.data, exclude_id=contact.id,
        )  # fmt: skip
        if not duplicates or form.confirm_duplicate.data:
            contacts.update_contact(contact, form.contact_data(), form.tag_names())
            db.session.commit()
            flash("Contact saved.", "success")
            return redirect(url_for("contacts.show", contact_id=contact.id))
        form.confirm_duplicate.errors = ["Another contact has the same details."]
    return render_template("contacts/form.html", form=form, contact=contact, duplicates=duplicates)


@bp.post("/contacts/<int:contact_id>/delete")
@role_required(Role.ADMIN)
def delete(contact_id: int):
    contact = get_contact(contact_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = contact.full_name
    try:
        contacts.delete_contact(contact)
    except contacts.ContactError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("contacts.show", contact_id=contact_id))
    db.session.commit()
    flash(f"Contact {name} deleted.", "success")
    return redirect(url_for("contacts.index"))


@bp.post("/contacts/<int:contact_id>/notes")
@staff_required
def add_note(contact_id: int):
    contact = get_contact(contact_id)
    form = NoteForm()
    if form.validate_on_submit():
        contacts.add_note(contact, current_user, form.body.data)
        db.session.commit()
        flash("Note added.", "success")
    else:
        flash("The note was not saved: " + "; ".join(form.body.errors), "danger")
    return redirect(url_for("contacts.show", contact_id=contact.id, _anchor="timeline"))


@bp.post("/contacts/<int:contact_id>/organisations")
@staff_required
def link_organisation(contact_id: int):
    contact = get_contact(contact_id)
    form = AffiliationForm()
    organisation = None
    if form.validate_on_submit():
        organisation = contacts.find_organisation_by_name(form.organisation.data)
        if organisation is None:
            flash(
                f"There is no organisation called “{form.organisation.data}”. Create it first.",
                "danger",
            )
        else:
            kind = AffiliationKind(form.kind.data) if form.kind.data else None
            contacts.link_organisation(contact, organisation, form.role.data, kind)
            db.session.commit()
            flash(f"Linked to {organisation.name}.", "success")
    else:
        errors = [e for field in form for e in field.errors]
        flash("The organisation was not linked: " + "; ".join(errors), "danger")
    return redirect(url_for("contacts.show", contact_id=contact.id))


@bp.post("/contacts/<int:contact_id>/organisations/<int:affiliation_id>/delete")
@staff_required
def unlink_organisation(contact_id: int, affiliation_id: int):
    affiliation = get_or_404(Affiliation, affiliation_id)
    if affiliation.contact_id != contact_id or not ConfirmForm().validate_on_submit():
        abort(404)
    contacts.unlink_organisation(affiliation)
    db.session.commit()
    flash("Organisation link removed.", "success")
    return redirect(url_for("contacts.show", contact_id=contact_id))


@bp.route("/contacts/<int:contact_id>/merge", methods=["GET", "POST"])
@staff_required
def merge(contact_id: int):
    survivor = get_contact(contact_id)
    other_id = request.values.get("other_id", type=int)
    other = get_or_404(Contact, other_id) if other_id else None
    candidates = []
    if other is None:
        query = request.args.get("q", "").strip()[:200]
        if query:
            found = db.session.scalars(
                contacts.contact_query(contacts.ContactFilter(q=query)).limit(20)
            )
            candidates = [c for c in found if c.id != survivor.id]
        return render_template(
            "contacts/merge_pick.html", contact=survivor, candidates=candidates, q=query
        )
    if other.id == survivor.id:
        abort(404)
    form = MergeForm(other_id=other.id)
    if form.validate_on_submit():
        try:
            contacts.merge_contacts(survivor, other, form.take_from_other(), current_user)
        except contacts.ContactError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("contacts.show", contact_id=contact_id))
        db.session.commit()
        flash("Contacts merged. Everything linked to both is now on this contact.", "success")
        return redirect(url_for("contacts.show", contact_id=survivor.id))
    return render_template(
        "contacts/merge.html",
        contact=survivor,
        other=other,
        form=form,
        fields=contacts.MERGE_FIELDS,
    )
