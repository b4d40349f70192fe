""" "Manage my monthly gift": a signed link emailed to a donor that opens Stripe's customer
portal. The portal's own sessions expire within minutes, so the email carries our link and the
portal session is created only when the donor clicks it."""

from flask import abort, current_app, redirect, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from crm.auth.access import public
from crm.contacts.models import Contact
from crm.donations import bp
from crm.extensions import db
from crm.mail.services import queue_email
from crm.payments import operations, portal

SALT = "manage-monthly-gift"
MAX_AGE = 14 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def manage_url(contact: Contact) -> str:
    token = _serializer().dumps({"contact": contact.id, "customer": contact.stripe_customer_id})
    return current_app.config["BASE_URL"].rstrip("/") + url_for("donations.manage", token=token)


def email_manage_link(contact: Contact, *, reason: str = "manage") -> None:
    """Email the donor a link to their Stripe customer portal (`reason`: manage, or
    payment_failed when a monthly charge did not go through)."""
    if not contact.email or not contact.stripe_customer_id:
        raise ValueError("This donor has no email address or no Stripe customer.")
    subject = {
        "payment_failed": "Your monthly gift could not be charged",
    }.get(reason, "Manage your monthly gift")
    queue_email(
        to=contact.email,
        template="donations/email/manage_link",
        subject=subject,
        contact=contact,
        url=manage_url(contact),
        reason=reason,
        days=MAX_AGE // 86400,
    )


@bp.get("/give/manage/<token>")
@public
def manage(token: str):
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
    except SignatureExpired:
        return render_template("donations/manage_expired.html"), 410
    except BadSignature:
        abort(404)
    contact = db.session.get(Contact, data.get("contact"))
    if contact is None or contact.stripe_customer_id != data.get("customer"):
        abort(404)
    return_url = current_app.config["BASE_URL"].rstrip("/") + url_for("donations.manage_done")
    try:
        url = portal.billing_portal_url(contact.stripe_customer_id, return_url)
    except operations.PaymentError:
        current_app.logger.exception("could not open the billing portal for contact %s", contact.id)
        return render_template("donations/manage_unavailable.html"), 503
    return redirect(url, code=303)


@bp.get("/give/manage/done")
@public
def manage_done():
    return render_template("donations/manage_done.html")
