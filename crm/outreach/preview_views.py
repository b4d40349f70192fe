"""Seeing a mailing as one of its recipients would, and the admin's email settings."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crm.auth.access import role_required, staff_required
from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.contacts.services import ContactFilter, contact_query
from crm.extensions import db, talisman
from crm.outreach import bp, mailings, preparing
from crm.outreach.audience import AudienceError
from crm.outreach.forms import SettingsForm
from crm.outreach.mailing_views import get_mailing
from crm.outreach.merge import FIELDS, MergeError

# The message's own HTML, shown in a sandboxed frame of the preview page: its inline styles
# are allowed there and nowhere else; no script runs in it.
FRAME_POLICY = {"default-src": "'none'", "style-src": "'unsafe-inline'", "img-src": "* data:",
                "frame-ancestors": "'self'"}  # fmt: skip


def _chosen(mailing):
    """The contact to preview as: ?contact=ID if they are in the audience, else the first."""
    members = mailings.audience_members(mailing, current_user)
    wanted = request.args.get("contact", "")
    if wanted.isdigit() and len(wanted) < 10:
        found = db.session.scalar(members.where(Contact.id == int(wanted)))
        if found is not None:
            return found
    return db.session.scalar(members.limit(1))


def _people(mailing):
    """Up to 50 of the audience, narrowed by ?q= (name or email)."""
    members = mailings.audience_members(mailing, current_user)
    q = request.args.get("q", "").strip()[:100]
    if q:
        ids = contact_query(ContactFilter(q=q)).with_only_columns(Contact.id).order_by(None)
        members = members.where(Contact.id.in_(ids))
    return db.session.scalars(members.limit(50)).all(), q


@bp.get("/outreach/mailings/<int:mailing_id>/preview")
@staff_required
def preview_mailing(mailing_id: int):
    mailing = get_mailing(mailing_id)
    try:
        contact = _chosen(mailing)
        people, q = _people(mailing)
        rendered = mailings.render_for(mailing, current_user, contact)
    except (MergeError, AudienceError) as exc:
        flash(str(exc), "danger")
        return redirect(url_for("outreach.mailing", mailing_id=mailing.id))
    return render_template("outreach/preview.html", mailing=mailing, contact=contact,
                           people=people, q=q, rendered=rendered)  # fmt: skip


@bp.get("/outreach/mailings/<int:mailing_id>/preview.html")
@staff_required
@talisman(content_security_policy=FRAME_POLICY, frame_options="SAMEORIGIN")
def preview_frame(mailing_id: int):
    mailing = get_mailing(mailing_id)
    try:
        rendered = mailings.render_for(mailing, current_user, _chosen(mailing))
    except (MergeError, AudienceError):
        abort(409)
    return rendered["html"]


@bp.route("/outreach/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def email_settings():
    settings = preparing.settings()
    form = SettingsForm(obj=settings)
    if form.validate_on_submit():
        form.populate_obj(settings)
        for name in ("from_name", "reply_to", "postal_address", "header", "footer"):
            setattr(settings, name, getattr(settings, name) or None)
        db.session.commit()
        flash("Email settings saved.", "success")
        return redirect(url_for("outreach.email_settings"))
    db.session.commit()  # the settings row, made on first visit
    return render_template("outreach/settings.html", form=form, fields=FIELDS,
                           user=current_user)  # fmt: skip
