from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from crm.auth.access import staff_required
from crm.contacts import bp
from crm.contacts import services as contacts
from crm.contacts.forms import OrganisationForm
from crm.contacts.models import Organisation, OrganisationType
from crm.contacts.normalise import fold
from crm.contacts.views import get_or_404, page_number
from crm.extensions import db


@bp.get("/organisations/")
@staff_required
def organisations():
    q = request.args.get("q", "").strip()[:200]
    type_ = request.args.get("type", "")
    query = select(Organisation).order_by(Organisation.name_key)
    if q:
        like = "%" + fold(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Organisation.name_key.like(like, escape="\\"))
    if type_ in {t.value for t in OrganisationType}:
        query = query.where(Organisation.type == OrganisationType(type_))
    pagination = db.paginate(query, page=page_number(), per_page=25, error_out=False)
    return render_template(
        "contacts/organisations.html",
        pagination=pagination,
        people=contacts.people_counts([o.id for o in pagination.items]),
        q=q,
        type_=type_,
        types=list(OrganisationType),
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@staff_required
def create_organisation():
    form = OrganisationForm()
    if form.validate_on_submit():
        existing = contacts.find_organisation_by_name(form.name.data)
        if existing and not request.form.get("confirm_duplicate"):
            flash(
                "An organisation with this name already exists. Tick the box to create "
                "another one anyway.",
                "warning",
            )
            return render_template(
                "contacts/organisation_form.html", form=form, organisation=None, existing=existing
            )
        organisation = contacts.create_organisation(form.organisation_data())
        db.session.commit()
        flash(f"Organisation {organisation.name} created.", "success")
        return redirect(url_for("contacts.show_organisation", organisation_id=organisation.id))
    return render_template(
        "contacts/organisation_form.html", form=form, organisation=None, existing=None
    )


@bp.get("/organisations/<int:organisation_id>")
@staff_required
def show_organisation(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    return render_template("contacts/organisation.html", organisation=organisation)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_organisation(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    form = OrganisationForm(obj=organisation)
    if request.method == "GET":
        form.type.data = organisation.type.value
    if form.validate_on_submit():
        contacts.update_organisation(organisation, form.organisation_data())
        db.session.commit()
        flash("Organisation saved.", "success")
        return redirect(url_for("contacts.show_organisation", organisation_id=organisation.id))
    return render_template(
        "contacts/organisation_form.html", form=form, organisation=organisation, existing=None
    )
