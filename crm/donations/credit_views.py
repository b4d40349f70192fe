"""A gift's soft credits, its employer's match and its thank-you; the list of gifts not yet
thanked, oldest first, with a bulk "mark thanked". Fundraisers and admins."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.auth.access import role_required
from crm.contacts import relations
from crm.contacts.services import ContactError, find_organisation_by_name
from crm.donations import bp, credits, services
from crm.donations.credit_forms import (
    BulkThankForm,
    MatchForm,
    SoftCreditForm,
    ThankFilterForm,
    ThankForm,
)
from crm.donations.credit_models import AckMethod, SoftCredit, SoftCreditRole
from crm.donations.models import Donation, PaymentMethod
from crm.donations.pledge_models import PledgePayment
from crm.donations.views import MONEY_ROLES, campaign_choices
from crm.extensions import db
from crm.forms import ConfirmForm
from crm.urls import record_id

MAX_PAGE = 1_000_000


def gift_extras(donation: Donation) -> dict:
    """What the gift's page shows about credits, matching and thanks (a fixed few queries)."""
    answer, itself = credits.match_of(donation.id)
    people = [link.other for link in relations.links_of(donation.contact_id)]
    household = donation.contact.household
    if household is not None:
        people += [m for m in household.members if m.id != donation.contact_id]
    match_form = MatchForm(method=PaymentMethod.CHEQUE.value)
    match_form.received_on.data = services.org_today()
    return {
        "soft_credits": credits.credits_of_gift(donation.id),
        "credit_people": list(dict.fromkeys(people)),
        "soft_credit_form": SoftCreditForm(),
        "match": answer,
        "is_match": itself,
        "match_form": match_form,
        "employers": credits.employers_of(donation.contact_id),
        "acknowledgement": credits.acknowledgement_of(donation.id),
        "thank_form": ThankForm(),
        "pledge_payment": db.session.scalar(
            select(PledgePayment).where(PledgePayment.donation_id == donation.id)
        ),
    }


def _gift(donation_id: int) -> Donation:
    if not 0 < donation_id <= 2**31 - 1:
        abort(404)
    return db.get_or_404(Donation, donation_id)


def _back(donation: Donation, anchor: str):
    return redirect(url_for("donations.show", donation_id=donation.id, _anchor=anchor))


def _errors(form) -> str:
    return "; ".join(f"{f.label.text}: {' '.join(f.errors)}" for f in form if f.errors)


@bp.post("/donations/<int:donation_id>/soft-credits")
@role_required(*MONEY_ROLES)
def add_soft_credit(donation_id: int):
    donation = _gift(donation_id)
    form = SoftCreditForm()
    if not form.validate_on_submit():
        flash("The soft credit was not added: " + _errors(form), "danger")
        return _back(donation, "credits")
    try:
        person = relations.find_contact(
            form.person.data, current_app.config["DEFAULT_PHONE_REGION"]
        )
        credits.add_soft_credit(donation, person, SoftCreditRole(form.role.data),
                                form.amount.cents, current_user)  # fmt: skip
    except (ContactError, services.DonationError) as exc:
        db.session.rollback()
        flash(f"The soft credit was not added: {exc}", "danger")
    else:
        db.session.commit()
        flash(f"{person.full_name} is credited with this gift.", "success")
    return _back(donation, "credits")


@bp.post("/donations/<int:donation_id>/soft-credits/<int:credit_id>/delete")
@role_required(*MONEY_ROLES)
def remove_soft_credit(donation_id: int, credit_id: int):
    credit = db.get_or_404(SoftCredit, credit_id) if 0 < credit_id <= 2**31 - 1 else abort(404)
    if credit.donation_id != donation_id or not ConfirmForm().validate_on_submit():
        abort(404)
    credits.remove_soft_credit(credit)
    db.session.commit()
    flash("Soft credit removed.", "success")
    return redirect(url_for("donations.show", donation_id=donation_id, _anchor="credits"))


@bp.post("/donations/<int:donation_id>/match")
@role_required(*MONEY_ROLES)
def record_match(donation_id: int):
    donation = _gift(donation_id)
    form = MatchForm()
    if not form.validate_on_submit():
        flash("The match was not recorded: " + _errors(form), "danger")
        return _back(donation, "match")
    organisation = find_organisation_by_name(form.organisation.data)
    if organisation is None:
        flash(f"There is no organisation called “{form.organisation.data}”. Create it first.",
              "danger")  # fmt: skip
        return _back(donation, "match")
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    details = credits.MatchDetails(
        organisation=organisation, amount_cents=form.amount.cents,
        received_at=datetime.combine(form.received_on.data, time(12), tzinfo=zone),
        method=PaymentMethod(form.method.data), cheque_number=form.cheque_number.data or None,
    )  # fmt: skip
    try:
        match = credits.record_match(donation, details)
    except services.DonationError as exc:
        db.session.rollback()
        flash(f"The match was not recorded: {exc}", "danger")
        return _back(donation, "match")
    db.session.commit()
    flash(f"{organisation.name}'s match is recorded as a gift of its own.", "success")
    return redirect(url_for("donations.show", donation_id=match.id))


@bp.post("/donations/<int:donation_id>/thank")
@role_required(*MONEY_ROLES)
def thank(donation_id: int):
    donation = _gift(donation_id)
    form = ThankForm()
    if not form.validate_on_submit():
        abort(400)
    credits.mark_thanked([donation.id], AckMethod(form.method.data), current_user, form.note.data)
    db.session.commit()
    flash("Marked as thanked.", "success")
    return _back(donation, "thanks")


@bp.post("/donations/<int:donation_id>/thank/undo")
@role_required(*MONEY_ROLES)
def undo_thank(donation_id: int):
    donation = _gift(donation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        credits.undo_thanks(donation)
    except services.DonationError as exc:
        flash(str(exc), "info")
    else:
        db.session.commit()
        flash("The gift waits for a thank-you again.", "success")
    return _back(donation, "thanks")


def _thank_filter() -> tuple[ThankFilterForm, int | None, int | None]:
    form = ThankFilterForm(request.args)
    form.campaign.choices = campaign_choices("Any")
    form.validate()
    campaign_id = None if form.campaign.errors else record_id(form.campaign.data)
    minimum = None if form.minimum.errors else form.minimum.cents
    return form, campaign_id, minimum


@bp.get("/donations/thanks/")
@role_required(*MONEY_ROLES)
def thanks():
    form, campaign_id, minimum = _thank_filter()
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    pagination = db.paginate(
        credits.to_thank_query(campaign_id, minimum), page=page, per_page=50, error_out=False
    )
    return render_template("donations/thank_list.html", form=form, pagination=pagination,
                           bulk=BulkThankForm())  # fmt: skip


def _ticked_gifts(values: list[str]) -> list[tuple[int, str]]:
    """The gifts ticked that exist: the bulk form's choices, so that anything else ticked
    (a gift deleted since, a made-up number) is refused. A page lists 50 gifts."""
    ids = {i for i in map(record_id, values[:500]) if i}
    found = db.session.scalars(select(Donation.id).where(Donation.id.in_(ids))) if ids else []
    return [(i, str(i)) for i in found]


@bp.post("/donations/thanks/mark")
@role_required(*MONEY_ROLES)
def thank_bulk():
    form = BulkThankForm()
    form.gifts.choices = _ticked_gifts(request.form.getlist(form.gifts.name))
    back = request.form.get("back", "")
    back = back if back.startswith("/donations/thanks/") else url_for("donations.thanks")
    if not form.validate_on_submit():
        flash("Nothing was marked: " + (_errors(form) or "tick the gifts to mark."), "danger")
        return redirect(back)
    try:
        marked = credits.mark_thanked(form.gifts.data or [], AckMethod(form.method.data),
                                      current_user, form.note.data)  # fmt: skip
    except services.DonationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(back)
    db.session.commit()
    flash(f"{marked} gift{'s' if marked != 1 else ''} marked as thanked.", "success")
    return redirect(back)
