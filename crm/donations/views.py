"""Staff screens for gifts and recurring plans (fundraisers and admins)."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.auth.access import role_required
from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.csvutil import csv_response
from crm.donations import bp, queries, services
from crm.donations import export as gift_export
from crm.donations.forms import DesignationForm, GiftFilterForm, OfflineGiftForm, RefundForm
from crm.donations.manage import email_manage_link
from crm.donations.models import (
    Campaign,
    Donation,
    DonationStatus,
    Fund,
    PaymentMethod,
    PlanStatus,
    RecurringPlan,
)
from crm.donations.receipts import send_receipt
from crm.extensions import db
from crm.forms import ConfirmForm
from crm.payments import operations
from crm.urls import MAX_ID

MONEY_ROLES = (Role.FUNDRAISER,)


def campaign_choices(blank: str = "None") -> dict:
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.name))
    return {"": blank, **{str(c.id): c.name for c in campaigns}}


def fund_choices(blank: str = "None") -> dict:
    funds = db.session.scalars(select(Fund).order_by(Fund.name))
    return {"": blank, **{str(f.id): f.name for f in funds}}


def stripe_refusal(action: str, exc: Exception) -> str:
    detail = getattr(exc, "user_message", None) or "try again in a few minutes."
    return f"Stripe did not {action}: {detail}"


def _id(value) -> int | None:
    """A record id from the client, or None (nothing beyond the database's integers)."""
    return int(value) if value and str(value).isdigit() and int(value) <= MAX_ID else None


def filter_from_request() -> tuple[GiftFilterForm, queries.GiftFilter]:
    """The gift filter from the query string; a value that does not validate is ignored."""
    form = GiftFilterForm(request.args)
    form.campaign.choices = campaign_choices("Any")
    form.fund.choices = fund_choices("Any")
    form.validate()

    def value(field):
        return None if field.errors or field.data in ("", None) else field.data

    gift_filter = queries.GiftFilter(
        q=value(form.q) or "",
        date_from=value(form.date_from),
        date_to=value(form.date_to),
        campaign_id=_id(value(form.campaign)),
        fund_id=_id(value(form.fund)),
        method=PaymentMethod(value(form.method)) if value(form.method) else None,
        status=DonationStatus(value(form.status)) if value(form.status) else None,
        recurring={"one_time": False, "recurring": True}.get(value(form.recurring)),
        contact_id=_id(request.args.get("contact_id")),
    )
    return form, gift_filter


@bp.get("/donations/")
@role_required(*MONEY_ROLES)
def index():
    form, gift_filter = filter_from_request()
    pagination = db.paginate(
        queries.gift_query(gift_filter).options(
            selectinload(Donation.contact),
            selectinload(Donation.campaign),
            selectinload(Donation.fund),
        ),
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=50,
        error_out=False,
    )
    export_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "donations/index.html",
        form=form,
        pagination=pagination,
        export_args=export_args,
        totals=queries.gift_totals(gift_filter),
        currency=current_app.config["CURRENCY"],
    )


@bp.get("/donations/export.csv")
@role_required(*MONEY_ROLES)
def export():
    _, gift_filter = filter_from_request()
    rows = gift_export.export_rows(gift_filter)
    return csv_response("donations.csv", gift_export.COLUMNS, rows, neutralised=True)


@bp.get("/donations/<int:donation_id>")
@role_required(*MONEY_ROLES)
def show(donation_id: int):
    donation = db.get_or_404(Donation, donation_id)
    designation = DesignationForm(
        campaign=str(donation.campaign_id or ""), fund=str(donation.fund_id or "")
    )
    designation.campaign.choices = campaign_choices()
    designation.fund.choices = fund_choices()
    from crm.donations.credit_views import gift_extras

    return render_template(
        "donations/show.html",
        donation=donation,
        designation=designation,
        refund_form=RefundForm(),
        confirm_form=ConfirmForm(),
        **gift_extras(donation),
    )


@bp.route("/contacts/<int:contact_id>/gifts/new", methods=["GET", "POST"])
@role_required(*MONEY_ROLES)
def record_gift(contact_id: int):
    contact = db.get_or_404(Contact, contact_id)
    form = OfflineGiftForm()
    form.campaign.choices = campaign_choices()
    form.fund.choices = fund_choices()
    if form.validate_on_submit():
        tz = ZoneInfo(current_app.config["ORG_TIMEZONE"])
        data = {
            "method": form.method.data,
            "amount_cents": form.amount.cents,
            "received_at": datetime.combine(form.received_on.data, time(12), tzinfo=tz),
            "campaign_id": _id(form.campaign.data),
            "fund_id": _id(form.fund.data),
            "source": form.source.data or None,
            "cheque_number": form.cheque_number.data or None,
            "in_kind_description": form.in_kind_description.data or None,
            "benefit_cents": form.benefit.cents or 0,
            "comment": form.comment.data or None,
        }
        try:
            donation = services.record_offline_gift(contact, data)
            send_receipt(donation)
        except services.DonationError as exc:
            db.session.rollback()
            form.method.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Gift recorded and receipted.", "success")
            return redirect(url_for("donations.show", donation_id=donation.id))
    elif not form.is_submitted():
        form.received_on.data = services.org_today()
    return render_template("donations/record.html", form=form, contact=contact)


@bp.post("/donations/<int:donation_id>/designation")
@role_required(*MONEY_ROLES)
def change_designation(donation_id: int):
    donation = db.get_or_404(Donation, donation_id)
    form = DesignationForm()
    form.campaign.choices = campaign_choices()
    form.fund.choices = fund_choices()
    if not form.validate_on_submit():
        abort(400)
    campaign = db.session.get(Campaign, _id(form.campaign.data)) if form.campaign.data else None
    fund = db.session.get(Fund, _id(form.fund.data)) if form.fund.data else None
    if (form.campaign.data and campaign is None) or (form.fund.data and fund is None):
        abort(400)
    services.change_designation(donation, fund, campaign)
    db.session.commit()
    flash("Designation changed.", "success")
    return redirect(url_for("donations.show", donation_id=donation.id))


@bp.post("/donations/<int:donation_id>/refund")
@role_required(*MONEY_ROLES)
def refund(donation_id: int):
    # Locked until commit: Stripe's charge.refunded webhook for this refund waits here
    # instead of recording it a second time.
    donation = db.first_or_404(select(Donation).where(Donation.id == donation_id).with_for_update())
    form = RefundForm()
    if not form.validate_on_submit():
        flash(
            "The refund was not made: " + " ".join(form.amount.errors or ["check the form"]),
            "danger",
        )
        return redirect(url_for("donations.show", donation_id=donation.id))
    try:
        # A card gift imported from another system was charged there: the refund is made
        # there too, and recorded here.
        through_stripe = bool(donation.stripe_payment_intent_id)
        services.check_refundable(donation, form.amount.cents, made_elsewhere=not through_stripe)
        stripe_refund_id = None
        if donation.method == PaymentMethod.CARD and through_stripe:
            result = operations.refund(
                donation.stripe_payment_intent_id,
                form.amount.cents,
                donation.currency,
                idempotency_key=f"refund-{donation.id}-{donation.refunded_cents}-{form.amount.cents}",
            )
            stripe_refund_id = result["id"]
        services.apply_refund(
            donation,
            form.amount.cents,
            stripe_refund_id=stripe_refund_id,
            reason=form.reason.data or None,
            user=current_user,
            made_elsewhere=not through_stripe,
        )
    except services.DonationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    except operations.PaymentError as exc:
        db.session.rollback()
        current_app.logger.warning("Stripe refused a refund for gift %s: %s", donation.id, exc)
        flash(stripe_refusal("make the refund", exc), "danger")
    else:
        db.session.commit()
        flash("Refund made.", "success")
    return redirect(url_for("donations.show", donation_id=donation.id))


@bp.get("/donations/plans/")
@role_required(*MONEY_ROLES)
def plans():
    status = request.args.get("status", "")
    query = (
        select(RecurringPlan)
        .options(selectinload(RecurringPlan.contact), selectinload(RecurringPlan.campaign))
        .order_by(RecurringPlan.created_at.desc())
    )
    if status in {s.value for s in PlanStatus}:
        query = query.where(RecurringPlan.status == PlanStatus(status))
    pagination = db.paginate(
        query, page=max(request.args.get("page", 1, type=int), 1), per_page=50, error_out=False
    )
    return render_template(
        "donations/plans.html", pagination=pagination, status=status, statuses=list(PlanStatus)
    )


@bp.get("/donations/plans/<int:plan_id>")
@role_required(*MONEY_ROLES)
def plan(plan_id: int):
    plan = db.get_or_404(RecurringPlan, plan_id)
    gifts = db.session.scalars(
        select(Donation)
        .where(Donation.recurring_plan_id == plan.id)
        .order_by(Donation.received_at.desc())
    ).all()
    return render_template(
        "donations/plan.html", plan=plan, gifts=gifts, confirm_form=ConfirmForm()
    )


@bp.post("/donations/plans/<int:plan_id>/cancel")
@role_required(*MONEY_ROLES)
def cancel_plan(plan_id: int):
    plan = db.get_or_404(RecurringPlan, plan_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if plan.status == PlanStatus.CANCELLED:
        flash("This plan is already cancelled.", "info")
        return redirect(url_for("donations.plan", plan_id=plan.id))
    try:
        if plan.stripe_subscription_id:
            operations.cancel_subscription(plan.stripe_subscription_id)
        services.cancel_plan(plan)
    except operations.PaymentError as exc:
        db.session.rollback()
        flash(stripe_refusal("cancel the plan", exc), "danger")
    else:
        db.session.commit()
        flash("Monthly gift cancelled. No further payments will be taken.", "success")
    return redirect(url_for("donations.plan", plan_id=plan.id))


@bp.post("/donations/plans/<int:plan_id>/send-manage-link")
@role_required(*MONEY_ROLES)
def send_manage_link(plan_id: int):
    plan = db.get_or_404(RecurringPlan, plan_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        email_manage_link(plan.contact)
    except ValueError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"A link to manage the monthly gift was emailed to {plan.contact.email}.", "success")
    return redirect(url_for("donations.plan", plan_id=plan.id))
