"""Campaigns, funds and appeals (fundraisers and admins)."""

from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from crm.auth.access import role_required
from crm.auth.roles import Role
from crm.csvutil import csv_response
from crm.donations import bp
from crm.donations.campaign_page import sections_for
from crm.donations.export import major
from crm.donations.forms import AppealForm, CampaignForm, FundForm, PeriodForm
from crm.donations.models import Appeal, Campaign, CampaignStatus, Fund
from crm.donations.raised import outside_dates, raised, raised_by_campaign
from crm.donations.views import campaign_choices, fund_choices
from crm.extensions import db


@bp.get("/donations/campaigns/")
@role_required(Role.FUNDRAISER)
def campaigns():
    rows = db.session.scalars(select(Campaign).order_by(Campaign.status, Campaign.name)).all()
    figures = raised_by_campaign(c.id for c in rows)
    return render_template(
        "donations/campaigns.html",
        campaigns=[(c, figures[c.id]) for c in rows],
        funds=db.session.scalars(select(Fund).order_by(Fund.name)).all(),
        appeals=db.session.scalars(select(Appeal).order_by(Appeal.code)).all(),
    )


def _period() -> tuple[PeriodForm, date | None, date | None]:
    """The days asked for in the query string; unreadable or backwards dates are ignored."""
    form = PeriodForm(request.args)
    if not form.validate():
        return form, None, None
    return form, form.date_from.data, form.date_to.data


@bp.get("/donations/campaigns/<int:campaign_id>")
@role_required(Role.FUNDRAISER)
def campaign(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form, first, last = _period()
    whole = first is None and last is None
    return render_template(
        "donations/campaign.html",
        campaign=campaign,
        form=form,
        first=first,
        last=last,
        raised=raised(campaign.id, first, last),
        outside=outside_dates(campaign) if whole else None,
        gift_args=_gift_args(campaign.id, first, last),
        dashboard_args=_dashboard_args(campaign.id, first, last),
        sections=sections_for(campaign),
    )


def _gift_args(campaign_id: int | None, first: date | None, last: date | None) -> dict:
    """The gift list's (and its CSV's) filter for the same campaign and days."""
    args = {"campaign": campaign_id} if campaign_id else {}
    if first:
        args["date_from"] = first.isoformat()
    if last:
        args["date_to"] = last.isoformat()
    return args


def _dashboard_args(campaign_id: int, first: date | None, last: date | None) -> dict:
    """The dashboard for the same campaign, and the same days when both ends are given."""
    if first and last:
        return {"campaign": campaign_id, "period": "custom", "from": first, "to": last}
    return {"campaign": campaign_id}


CSV_COLUMNS = ["id", "name", "slug", "status", "starts_on", "ends_on", "from", "to", "currency",
               "goal", "gifts", "gross", "refunded", "fees", "net_of_refunds",
               "net_of_refunds_and_fees", "percent_of_goal"]  # fmt: skip


@bp.get("/donations/campaigns.csv")
@role_required(Role.FUNDRAISER)
def campaigns_csv():
    """Every campaign (or `campaign=ID`) with what it raised, since it began or in the days
    asked for: the same figures as its page and the dashboard."""
    _, first, last = _period()
    query = select(Campaign).order_by(Campaign.name, Campaign.id)
    if campaign_id := request.args.get("campaign", type=int):
        query = query.where(Campaign.id == campaign_id)
    rows = db.session.scalars(query).all()
    figures = raised_by_campaign((c.id for c in rows), first, last)
    return csv_response(
        "campaigns.csv", CSV_COLUMNS, (_csv_row(c, figures[c.id], first, last) for c in rows)
    )


def _csv_row(c: Campaign, r, first: date | None, last: date | None) -> list:
    return [
        c.id, c.name, c.slug, c.status.value, c.starts_on, c.ends_on, first, last, c.currency,
        major(c.goal_cents), r.gifts, major(r.gross_cents), major(r.refunded_cents),
        major(r.fee_cents), major(r.net_of_refunds_cents), major(r.net_cents),
        r.percent_of(c.goal_cents),
    ]  # fmt: skip


def _campaign_form(campaign: Campaign | None) -> CampaignForm:
    form = CampaignForm(obj=campaign)
    form.default_fund.choices = fund_choices()
    if campaign is not None and not form.is_submitted():
        form.goal.data = f"{campaign.goal_cents / 100:.2f}"
        form.status.data = campaign.status.value
        form.default_fund.data = str(campaign.default_fund_id or "")
    return form


def _save_campaign(form: CampaignForm, campaign: Campaign | None):
    taken = db.session.scalar(select(Campaign).where(Campaign.slug == form.slug.data))
    if taken is not None and taken is not campaign:
        form.slug.errors.append("Another campaign already uses this web address name.")
        return None
    if campaign is None:
        campaign = Campaign(currency=current_app.config["CURRENCY"])
        db.session.add(campaign)
    campaign.name = form.name.data
    campaign.slug = form.slug.data
    campaign.goal_cents = form.goal.cents
    campaign.status = CampaignStatus(form.status.data)
    campaign.starts_on = form.starts_on.data
    campaign.ends_on = form.ends_on.data
    campaign.default_fund_id = int(form.default_fund.data) if form.default_fund.data else None
    campaign.description = form.description.data or None
    db.session.commit()
    return campaign


@bp.route("/donations/campaigns/new", methods=["GET", "POST"])
@role_required(Role.FUNDRAISER)
def create_campaign():
    form = _campaign_form(None)
    if form.validate_on_submit() and (campaign := _save_campaign(form, None)):
        flash(f"Campaign {campaign.name} created.", "success")
        return redirect(url_for("donations.campaigns"))
    return render_template("donations/campaign_form.html", form=form, campaign=None)


@bp.route("/donations/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@role_required(Role.FUNDRAISER)
def edit_campaign(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form = _campaign_form(campaign)
    if form.validate_on_submit() and _save_campaign(form, campaign):
        flash("Campaign saved.", "success")
        return redirect(url_for("donations.campaigns"))
    return render_template("donations/campaign_form.html", form=form, campaign=campaign)


def _save_fund(form: FundForm, fund: Fund | None):
    taken = db.session.scalar(select(Fund).where(Fund.name == form.name.data))
    if taken is not None and taken is not fund:
        form.name.errors.append("A fund with this name already exists.")
        return None
    if fund is None:
        fund = Fund()
        db.session.add(fund)
    form.populate_obj(fund)
    fund.description = fund.description or None
    db.session.commit()
    return fund


@bp.route("/donations/funds/new", methods=["GET", "POST"])
@role_required(Role.FUNDRAISER)
def create_fund():
    form = FundForm()
    if form.validate_on_submit() and (fund := _save_fund(form, None)):
        flash(f"Fund {fund.name} created.", "success")
        return redirect(url_for("donations.campaigns"))
    return render_template("donations/fund_form.html", form=form, fund=None)


@bp.route("/donations/funds/<int:fund_id>/edit", methods=["GET", "POST"])
@role_required(Role.FUNDRAISER)
def edit_fund(fund_id: int):
    fund = db.get_or_404(Fund, fund_id)
    form = FundForm(obj=fund)
    if form.validate_on_submit() and _save_fund(form, fund):
        flash("Fund saved.", "success")
        return redirect(url_for("donations.campaigns"))
    return render_template("donations/fund_form.html", form=form, fund=fund)


@bp.route("/donations/appeals/new", methods=["GET", "POST"])
@role_required(Role.FUNDRAISER)
def create_appeal():
    form = AppealForm()
    form.campaign.choices = campaign_choices()
    if form.validate_on_submit():
        if db.session.scalar(select(Appeal).where(Appeal.code == form.code.data)):
            form.code.errors.append("This source code is already in use.")
        else:
            campaign_id = int(form.campaign.data) if form.campaign.data else None
            db.session.add(
                Appeal(code=form.code.data, name=form.name.data, campaign_id=campaign_id)
            )
            db.session.commit()
            flash(f"Source code {form.code.data} created.", "success")
            return redirect(url_for("donations.campaigns"))
    return render_template("donations/appeal_form.html", form=form)
