"""The development test checkout's page (see dev_checkout.py): a stand-in for Stripe's
payment page, found only when the test checkout is on."""

import logging

from flask import abort, redirect, render_template, url_for

from crm.auth.access import public
from crm.donations import bp, dev_checkout, giving
from crm.donations.models import DonationIntent, Frequency, IntentStatus
from crm.donations.public_views import private
from crm.extensions import db, limiter
from crm.forms import ConfirmForm, public_form_limit
from crm.payments import dev_events
from crm.payments.money import format_money

log = logging.getLogger("crm.donations")


def _intent_or_404(public_id: str) -> DonationIntent:
    if not dev_checkout.enabled():
        abort(404)
    intent = giving.find_intent(public_id)
    if intent is None or intent.stripe_checkout_session_id != dev_events.session_id(public_id):
        abort(404)
    return intent


def _page(intent: DonationIntent, form: ConfirmForm, error: str | None = None):
    return private(
        render_template(
            "donations/dev_checkout.html",
            intent=intent,
            form=form,
            error=error,
            amount=format_money(intent.total_cents, intent.currency),
            monthly=intent.frequency == Frequency.MONTHLY,
        )
    )


@bp.get("/give/test-checkout/<public_id>")
@public
def dev_checkout_page(public_id: str):
    intent = _intent_or_404(public_id)
    if intent.status != IntentStatus.CHECKOUT:
        return redirect(url_for("donations.give_thanks", public_id=intent.public_id))
    return _page(intent, ConfirmForm())


@bp.post("/give/test-checkout/<public_id>")
@public
@limiter.limit(public_form_limit)
def complete_dev_checkout(public_id: str):
    intent = _intent_or_404(public_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    request = giving.checkout_request(intent)
    name = f"{intent.first_name} {intent.last_name}"
    db.session.rollback()  # nothing to keep: the webhook writes in its own transaction
    try:
        thanks = dev_checkout.complete(request, name)
    except dev_checkout.DevCheckoutError as exc:
        log.warning("test checkout of intent %s: %s", public_id, exc)
        return _page(intent, form, f"The test payment was not recorded: {exc}"), 502
    return redirect(thanks, code=303)
