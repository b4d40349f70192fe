from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from crm.auth.access import role_required
from crm.auth.roles import Role
from crm.extensions import db
from crm.forms import ConfirmForm
from crm.mail import bp, retention, services
from crm.mail.models import MailStatus, OutboundEmail


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    status = request.args.get("status", "")
    query = select(OutboundEmail).order_by(OutboundEmail.id.desc())
    if status in {s.value for s in MailStatus}:
        query = query.where(OutboundEmail.status == MailStatus(status))
    pagination = db.paginate(
        query, page=max(request.args.get("page", 1, type=int), 1), per_page=50, error_out=False
    )
    counts = dict(
        db.session.execute(
            select(OutboundEmail.status, func.count()).group_by(OutboundEmail.status)
        ).all()
    )
    return render_template(
        "mail/index.html",
        pagination=pagination,
        counts=counts,
        status=status,
        statuses=list(MailStatus),
    )


@bp.get("/<int:message_id>")
@role_required(Role.ADMIN)
def show(message_id: int):
    message = db.get_or_404(OutboundEmail, message_id)
    return render_template(
        "mail/show.html",
        message=message,
        # Links that act as a password or a key: an admin reading the outbox must not be
        # able to use someone else's reset link or invitation (delivered ones hold none).
        text=retention.remove_secret_links(message.text_body),
        confirm_form=ConfirmForm(),
    )


@bp.post("/<int:message_id>/retry")
@role_required(Role.ADMIN)
def retry(message_id: int):
    message = db.get_or_404(OutboundEmail, message_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if message.status != MailStatus.FAILED:
        flash("Only failed messages can be retried.", "info")
    else:
        services.retry(message)
        db.session.commit()
        flash("The message is queued again.", "success")
    return redirect(url_for("mail.show", message_id=message.id))
