"""The Needs attention list of Stripe events, and staff's ways to resolve each one."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from crm.auth.access import role_required
from crm.auth.roles import Role
from crm.donations import attention, bp
from crm.donations.alerts import describe
from crm.donations.forms import DismissForm, LinkContactForm, LinkGiftForm
from crm.donations.inbox import Outcome
from crm.donations.models import Donation
from crm.donations.services import DonationError
from crm.extensions import db
from crm.forms import ConfirmForm

RESULTS = {
    Outcome.PROCESSED: ("Recorded.", "success"),
    Outcome.DUPLICATE: ("Already recorded.", "info"),
    Outcome.WAITING: (
        "Still waiting: the gift or plan it is about is not recorded yet.",
        "warning",
    ),
    Outcome.ATTENTION: ("Still needs attention: see the reason below.", "warning"),
    Outcome.FAILED: ("It failed again: see the reason below.", "danger"),
    Outcome.MISSING: ("No such event.", "danger"),
}


@bp.app_template_global("stripe_attention_count")
def attention_count() -> int:
    """How many Stripe events wait for staff (the gifts page's button shows it)."""
    return attention.open_count()


@bp.get("/donations/attention")
@role_required(Role.FUNDRAISER)
def attention_list():
    pagination = db.paginate(
        attention.open_query(),
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=25,
        error_out=False,
    )
    rows = [(e, attention.actions(e), describe(e)) for e in pagination.items]
    return render_template(
        "donations/attention.html",
        pagination=pagination,
        rows=rows,
        contact_form=LinkContactForm(),
        gift_form=LinkGiftForm(),
        dismiss_form=DismissForm(),
        confirm_form=ConfirmForm(),
    )


def _done(outcome: Outcome):
    message, category = RESULTS[outcome]
    flash(message, category)
    return redirect(url_for("donations.attention_list"))


def _refused(message: str):
    db.session.rollback()
    flash(message, "danger")
    return redirect(url_for("donations.attention_list"))


def _act(action, *args):
    """Resolve the event one way (the service handles it and commits) and say how it went."""
    try:
        return _done(action(*args))
    except DonationError as exc:
        return _refused(str(exc))


@bp.post("/donations/attention/<stripe_event_id>/contact")
@role_required(Role.FUNDRAISER)
def attention_contact(stripe_event_id: str):
    form = LinkContactForm()
    if not form.validate_on_submit():
        return _refused(" ".join(form.contact.errors) or "Check the form.")
    contact = attention.find_contact(form.contact.data)
    if contact is None:
        return _refused(f"No contact is numbered or has the email {form.contact.data!r}.")
    return _act(attention.link_contact, stripe_event_id, contact, current_user)


@bp.post("/donations/attention/<stripe_event_id>/gift")
@role_required(Role.FUNDRAISER)
def attention_gift(stripe_event_id: str):
    form = LinkGiftForm()
    if not form.validate_on_submit():
        return _refused(" ".join(form.gift.errors) or "Check the form.")
    donation = db.session.get(Donation, int(form.gift.data.lstrip("#")))
    if donation is None:
        return _refused(f"There is no gift #{form.gift.data.lstrip('#')}.")
    return _act(attention.link_gift, stripe_event_id, donation, current_user)


@bp.post("/donations/attention/<stripe_event_id>/retry")
@role_required(Role.FUNDRAISER)
def attention_retry(stripe_event_id: str):
    if not ConfirmForm().validate_on_submit():
        return _refused("The form expired; try again.")
    return _act(attention.retry, stripe_event_id, current_user)


@bp.post("/donations/attention/<stripe_event_id>/dismiss")
@role_required(Role.FUNDRAISER)
def attention_dismiss(stripe_event_id: str):
    form = DismissForm()
    if not form.validate_on_submit():
        return _refused(" ".join(form.note.errors) or "Check the form.")
    try:
        attention.dismiss(stripe_event_id, form.note.data, current_user)
    except DonationError as exc:
        return _refused(str(exc))
    db.session.commit()
    flash("Dismissed, with your note.", "success")
    return redirect(url_for("donations.attention_list"))
