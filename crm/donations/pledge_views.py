"""Pledges: the list, a new pledge from a contact's page, a pledge's page with its schedule and
payments, applying a gift, taking a payment off, writing off the rest. Fundraisers and admins."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from crm.auth.access import role_required
from crm.contacts.models import Contact
from crm.donations import bp, pledge_queries, pledges, services
from crm.donations import views as donation_views
from crm.donations.credit_forms import ApplyPaymentForm, PledgeFilterForm, PledgeForm, WriteOffForm
from crm.donations.models import Donation
from crm.donations.pledge_models import Pledge, PledgePayment, PledgeStatus
from crm.donations.views import MONEY_ROLES, campaign_choices, fund_choices
from crm.extensions import db
from crm.formats import format_date
from crm.forms import ConfirmForm
from crm.payments.money import format_money

MAX_ID = 2**31 - 1


def _id(value) -> int | None:
    number = donation_views._id(value)
    return number if number is not None and number <= MAX_ID else None


def _get(model, record_id: int):
    if not 0 < record_id <= MAX_ID:
        abort(404)
    return db.get_or_404(model, record_id)


@bp.get("/donations/pledges/")
@role_required(*MONEY_ROLES)
def pledge_list():
    form = PledgeFilterForm(request.args)
    form.campaign.choices = campaign_choices("Any")
    form.validate()
    status = form.status.data if form.status.data is not None else "open"
    query = pledge_queries.pledge_list(
        status=status, campaign_id=_id(form.campaign.data),
        overdue_on=services.org_today() if form.overdue.data == "overdue" else None,
        sort=form.sort.data or "next_due", contact_id=_id(request.args.get("contact_id")),
    )  # fmt: skip
    page = min(max(request.args.get("page", 1, type=int), 1), 1_000_000)
    pagination = db.paginate(query, page=page, per_page=25, error_out=False)
    return render_template("donations/pledges.html", form=form, pagination=pagination,
                           today=services.org_today())  # fmt: skip


@bp.route("/contacts/<int:contact_id>/pledges/new", methods=["GET", "POST"])
@role_required(*MONEY_ROLES)
def new_pledge(contact_id: int):
    contact = _get(Contact, contact_id)
    form = PledgeForm()
    form.campaign.choices = campaign_choices()
    form.fund.choices = fund_choices()
    if form.validate_on_submit():
        data = pledges.PledgeData(
            amount_cents=form.amount.cents, pledged_on=form.pledged_on.data,
            first_due_on=form.first_due_on.data, frequency=form.frequency_value(),
            instalments=form.instalments.data, campaign_id=_id(form.campaign.data),
            fund_id=_id(form.fund.data), note=form.note.data,
        )  # fmt: skip
        try:
            pledge = pledges.create_pledge(contact, data)
        except services.DonationError as exc:
            db.session.rollback()
            form.amount.errors = [*form.amount.errors, str(exc)]
        else:
            db.session.commit()
            flash("Pledge recorded.", "success")
            return redirect(url_for("donations.pledge", pledge_id=pledge.id))
    elif not form.is_submitted():
        form.pledged_on.data = form.first_due_on.data = services.org_today()
    return render_template("donations/pledge_form.html", form=form, contact=contact)


@bp.get("/donations/pledges/<int:pledge_id>")
@role_required(*MONEY_ROLES)
def pledge(pledge_id: int):
    if not 0 < pledge_id <= MAX_ID:
        abort(404)
    pledge = db.first_or_404(
        select(Pledge).where(Pledge.id == pledge_id).options(
            selectinload(Pledge.instalments),
            selectinload(Pledge.payments).joinedload(PledgePayment.donation),
            joinedload(Pledge.contact), joinedload(Pledge.campaign), joinedload(Pledge.fund),
        )
    )  # fmt: skip
    state = pledges.state_of(pledge, pledge.received_cents)
    form = ApplyPaymentForm()
    gifts = _offer_gifts(form, pledge)
    return render_template(
        "donations/pledge.html", pledge=pledge, state=state, gifts=gifts, apply_form=form,
        write_off_form=WriteOffForm(), confirm_form=ConfirmForm(),
    )  # fmt: skip


def _offer_gifts(form: ApplyPaymentForm, pledge: Pledge) -> list[Donation]:
    """The donor's latest gifts not yet applied to a pledge: the form's choices."""
    applied = select(PledgePayment.donation_id)
    gifts = db.session.scalars(
        select(Donation)
        .where(Donation.contact_id == pledge.contact_id, Donation.id.notin_(applied),
               Donation.status.in_(pledges.PAYING))
        .order_by(Donation.received_at.desc())
        .limit(50)
    ).all()  # fmt: skip
    form.gift.choices = {
        str(g.id): f"{format_date(g.received_at)}: {format_money(g.amount_cents, g.currency)}"
        for g in gifts
    }
    return gifts


@bp.post("/donations/pledges/<int:pledge_id>/payments")
@role_required(*MONEY_ROLES)
def apply_payment(pledge_id: int):
    pledge = _get(Pledge, pledge_id)
    form = ApplyPaymentForm()
    gifts = {str(g.id): g for g in _offer_gifts(form, pledge)}
    donation = gifts.get(form.gift.data)
    if not form.validate_on_submit() or donation is None:
        errors = "; ".join(e for f in form for e in f.errors) or "choose one of the donor's gifts."
        flash(f"No payment was applied: {errors}", "danger")
        return redirect(url_for("donations.pledge", pledge_id=pledge.id))
    try:
        pledges.apply_payment(pledge, donation, form.amount.cents, current_user)
    except services.DonationError as exc:
        db.session.rollback()
        flash(f"No payment was applied: {exc}", "danger")
    else:
        db.session.commit()
        done = pledge.status == PledgeStatus.FULFILLED
        flash("Payment applied." + (" The pledge is paid in full." if done else ""), "success")
    return redirect(url_for("donations.pledge", pledge_id=pledge.id))


@bp.post("/donations/pledges/<int:pledge_id>/payments/<int:payment_id>/delete")
@role_required(*MONEY_ROLES)
def remove_payment(pledge_id: int, payment_id: int):
    payment = _get(PledgePayment, payment_id)
    if payment.pledge_id != pledge_id or not ConfirmForm().validate_on_submit():
        abort(404)
    try:
        pledges.remove_payment(payment)
    except services.DonationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash("The payment was taken off the pledge; the gift itself stays.", "success")
    return redirect(url_for("donations.pledge", pledge_id=pledge_id))


@bp.post("/donations/pledges/<int:pledge_id>/write-off")
@role_required(*MONEY_ROLES)
def write_off(pledge_id: int):
    pledge = _get(Pledge, pledge_id)
    form = WriteOffForm()
    if not form.validate_on_submit():
        flash("Nothing was written off: say why the rest will not come.", "danger")
        return redirect(url_for("donations.pledge", pledge_id=pledge.id, _anchor="write-off"))
    try:
        amount = pledges.write_off(pledge, form.reason.data, current_user)
    except services.DonationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"{format_money(amount, pledge.currency)} written off.", "success")
    return redirect(url_for("donations.pledge", pledge_id=pledge.id))
