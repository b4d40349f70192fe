"""User administration (admins only): invite, change role, deactivate."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.auth import bp, services
from crm.auth.access import role_required
from crm.auth.forms import InviteForm, UserEditForm
from crm.auth.models import User
from crm.auth.roles import Role
from crm.extensions import db
from crm.forms import ConfirmForm


@bp.get("/admin/users")
@role_required(Role.ADMIN)
def users():
    all_users = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render_template("auth/users.html", users=all_users, confirm_form=ConfirmForm())


@bp.route("/admin/users/invite", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = services.invite_user(
                form.email.data, form.name.data, Role(form.role.data), current_user
            )
        except services.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Invitation sent to {user.email}.", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/invite.html", form=form)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        try:
            if Role(form.role.data) != user.role:
                services.change_role(user, Role(form.role.data))
            user.name = form.name.data
        except services.AccountError as exc:
            form.role.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"{user.name} saved.", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/edit_user.html", form=form, user=user, confirm_form=ConfirmForm())


@bp.post("/admin/users/<int:user_id>/active")
@role_required(Role.ADMIN)
def toggle_active(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_active(user, not user.active, current_user)
    except services.AccountError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"{user.name} is now {'active' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<int:user_id>/resend-invite")
@role_required(Role.ADMIN)
def resend_invite(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.send_invitation(user, current_user)
    except services.AccountError as exc:
        flash(str(exc), "info")
        return redirect(url_for("auth.users"))
    db.session.commit()
    flash(f"A new invitation was sent to {user.email}.", "success")
    return redirect(url_for("auth.users"))
