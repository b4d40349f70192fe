"""The public giving pages: the form, the hand-off to Stripe Checkout and the thank-you page.

No account is needed. The form works without JavaScript; the amount Stripe charges is
computed here from the validated form, and only Stripe's webhook says that a gift is made.
"""

import logging

from babel.numbers import get_currency_symbol
from flask import abort, current_app, make_response, redirect, render_template, request
from sqlalchemy import select

from crm.auth.access import public
from crm.donations import bp, dev_checkout, giving, services
from crm.donations.models import Campaign, CampaignStatus, Frequency
from crm.donations.public_forms import GiveForm, display_money
from crm.extensions import db, limiter
from crm.forms import public_form_limit
from crm.payments.checkout import CheckoutError
from crm.payments.money import format_money

log = logging.getLogger("crm.donations")

# Each submission may open a Stripe session: enough for a shared office or event network,
# too few for a script that floods Stripe (and us) with sessions.

STRIPE_DOWN = (
    "We could not reach our payment processor, so nothing was charged. "
    "Please try again in a minute."
)


def campaign_or_404(slug: str) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug[:80]))
    if campaign is None:
        abort(404)
    return campaign


def private(response):
    """Pages with a donor's details or a CSRF token stay out of shared caches."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def render_give(campaign: Campaign, form: GiveForm):
    return private(
        render_template(
            "donations/give.html",
            campaign=campaign,
            form=form,
            progress=services.campaign_progress(campaign),
            money=display_money,
            currency_symbol=get_currency_symbol(campaign.currency, locale="en_US"),
            dev_checkout=dev_checkout.enabled(),
        )
    )


def render_closed(campaign: Campaign):
    today = services.org_today()
    if campaign.status == CampaignStatus.CLOSED or (campaign.ends_on and today > campaign.ends_on):
        reason = "ended"
    elif campaign.status == CampaignStatus.ACTIVE and campaign.starts_on:
        reason = "not_started"
    else:
        reason = "unavailable"
    default = current_app.config["DEFAULT_CAMPAIGN_SLUG"]
    other_open = default != campaign.slug and services.open_campaign(default) is not None
    return render_template(
        "donations/give_closed.html", campaign=campaign, reason=reason, other_open=other_open
    )


@bp.get("/give")
@public
def give_default():
    return give_page(current_app.config["DEFAULT_CAMPAIGN_SLUG"])


@bp.route("/give/<slug>", methods=["GET", "POST"])
@public
@limiter.limit(public_form_limit, methods=["POST"])
def give(slug: str):
    return give_page(slug)


def give_page(slug: str):
    campaign = campaign_or_404(slug)
    if services.open_campaign(campaign.slug) is None:
        return render_closed(campaign)
    form = GiveForm(campaign)
    if request.method == "GET":
        form.campaign.data = campaign.slug
        intent = giving.restorable_intent(campaign, request.args.get("intent"))
        if intent is not None:
            form.fill_from(intent)
        else:
            form.keep_source(request.args.get("source"))
        return render_give(campaign, form)
    if form.validate_on_submit():
        try:
            _, checkout_url = giving.start_checkout(campaign, form.intent_data())
        except (CheckoutError, services.DonationError) as exc:
            db.session.rollback()
            log.warning("no checkout for a gift to %s: %s", campaign.slug, exc)
            message = str(exc) if isinstance(exc, services.DonationError) else STRIPE_DOWN
            form.form_errors.append(message)
        else:
            db.session.commit()
            return redirect(checkout_url, code=303)
    return render_give(campaign, form)


@bp.get("/give/thanks/<public_id>")
@public
def give_thanks(public_id: str):
    intent = giving.find_intent(public_id) or abort(404)
    donation = giving.gift_for(intent)
    state = giving.gift_state(intent, donation)
    amount = donation.amount_cents if donation is not None else intent.total_cents
    response = private(
        render_template(
            "donations/thanks.html",
            intent=intent,
            campaign=intent.campaign,
            state=state,
            states=giving.GiftState,
            amount=format_money(amount, intent.currency),
            monthly=intent.frequency == Frequency.MONTHLY,
            progress=services.campaign_progress(intent.campaign),
            show_progress=intent.campaign.status != CampaignStatus.DRAFT,
            money=display_money,
        )
    )
    if state == giving.GiftState.CONFIRMING:
        # Reloads the page without any script until the webhook has confirmed the gift.
        response.headers["Refresh"] = "5"
    return response


@bp.get("/give/status/<public_id>.json")
@public
def give_status(public_id: str):
    intent = giving.find_intent(public_id) or abort(404)
    state = giving.gift_state(intent, giving.gift_for(intent))
    return private({"state": state.value, "confirmed": state == giving.GiftState.CONFIRMED})
