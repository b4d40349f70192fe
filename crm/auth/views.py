from datetime import UTC, datetime
from urllib.parse import urlsplit

import segno
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from crm.auth import bp, services
from crm.auth.access import login_required, public
from crm.auth.forms import (
    ChangePasswordForm,
    DisableTwoFactorForm,
    ForgotPasswordForm,
    LoginForm,
    SetPasswordForm,
    TwoFactorForm,
)
from crm.auth.models import TokenPurpose, User
from crm.auth.passwords import PasswordPolicyError
from crm.auth.roles import Role
from crm.extensions import db, limiter
from crm.forms import ConfirmForm

TWO_FACTOR_WINDOW = 300  # seconds between the password and the code


def sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def submitted_email() -> str:
    return "email:" + request.form.get("email", "").strip().lower()


def same_site_path(target: str | None) -> str | None:
    """The target if it is a path on this site, else None: only these are followed."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return None


def landing_url(user: User) -> str:
    """Where someone starts after signing in: volunteers have a portal of their own rather
    than the staff home page."""
    if user.role == Role.VOLUNTEER:
        return url_for("volunteers.portal")
    return url_for("main.home")


def safe_next(target: str | None, user: User) -> str:
    return same_site_path(target) or landing_url(user)


def end_sign_in() -> None:
    """Forget who is signed in here: the server-side session ends with the cookie's, so a
    copy of the old cookie signs nobody in."""
    services.end_session(session.get("sid"))
    logout_user()
    session.clear()


def finish_sign_in(user: User, next_url: str | None):
    end_sign_in()  # a new session on every sign-in
    session["sid"] = services.start_session(user, request.remote_addr, request.user_agent.string)
    login_user(user)
    if (
        user.role == Role.ADMIN
        and current_app.config["REQUIRE_ADMIN_2FA"]
        and not user.two_factor_enabled
    ):
        session["needs_2fa_setup"] = True
    db.session.commit()
    return redirect(safe_next(next_url, user))


@bp.route("/auth/login", methods=["GET", "POST"])
@public
@limiter.limit(sign_in_limit, methods=["POST"])
@limiter.limit(sign_in_limit, methods=["POST"], key_func=submitted_email)
def login():
    next_url = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(safe_next(next_url, current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        if user is None:
            db.session.commit()  # keep the audit entry of the failure
            form.password.errors.append("The email or password is not correct.")
        elif user.two_factor_enabled:
            end_sign_in()
            session.update(
                two_factor_user=user.id,
                two_factor_since=datetime.now(UTC).timestamp(),
                two_factor_next=next_url,
            )
            db.session.commit()
            return redirect(url_for("auth.two_factor"))
        else:
            return finish_sign_in(user, next_url)
    return render_template("auth/login.html", form=form)


@bp.get("/login")
@bp.get("/signin")
@bp.get("/admin")
@public
def login_alias():
    """The addresses people guess for the sign-in page; a `next` is kept only if it is safe."""
    return redirect(url_for("auth.login", next=same_site_path(request.args.get("next"))))


@bp.route("/auth/two-factor", methods=["GET", "POST"])
@public
@limiter.limit(sign_in_limit, methods=["POST"])
def two_factor():
    """The code step of a sign-in. It only ever drops the half-finished sign-in: someone
    already signed in (a link from another site, a stale tab) stays signed in."""
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    user_id = session.get("two_factor_user")
    started = session.get("two_factor_since", 0)
    if not user_id or datetime.now(UTC).timestamp() - started > TWO_FACTOR_WINDOW:
        _drop_pending_sign_in()
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.login"))
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        _drop_pending_sign_in()
        return redirect(url_for("auth.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        if services.verify_totp(user, form.code.data):
            return finish_sign_in(user, session.get("two_factor_next"))
        form.code.errors.append("That code is not right or was already used.")
    return render_template("auth/two_factor.html", form=form)


def _drop_pending_sign_in() -> None:
    for key in ("two_factor_user", "two_factor_since", "two_factor_next"):
        session.pop(key, None)


@bp.post("/auth/logout")
@login_required
def logout():
    """Signing out is a POST (a link or an image elsewhere cannot sign anyone out) and ends
    the session on the server, not only the cookie."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    end_sign_in()
    db.session.commit()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/auth/forgot", methods=["GET", "POST"])
@public
@limiter.limit(sign_in_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            "If an account uses that address, we have emailed it a link to choose a new password.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


def _password_from_token(token: str, purpose: TokenPurpose, template: str):
    try:
        record = services.check_token(token, purpose)
    except services.InvalidToken as exc:
        return render_template("auth/link_invalid.html", message=str(exc)), 400
    form = SetPasswordForm()
    form.policy_email, form.policy_name = record.user.email, record.user.name
    if form.validate_on_submit():
        try:
            services.redeem_token(token, purpose, form.password.data)
        except PasswordPolicyError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Your password is set. Sign in with it now.", "success")
            return redirect(url_for("auth.login"))
    return render_template(template, form=form, user=record.user)


@bp.route("/auth/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    return _password_from_token(token, TokenPurpose.PASSWORD_RESET, "auth/reset.html")


@bp.route("/auth/invite/<token>", methods=["GET", "POST"])
@public
def accept_invite(token: str):
    return _password_from_token(token, TokenPurpose.INVITE, "auth/accept_invite.html")


# --- the signed-in user's own account ------------------------------------------------------


@bp.get("/account")
@login_required
def account():
    password_form = ChangePasswordForm()
    return render_template(
        "auth/account.html",
        password_form=password_form,
        disable_form=DisableTwoFactorForm(),
        confirm_form=ConfirmForm(),
    )


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    form.policy_email, form.policy_name = current_user.email, current_user.name
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except services.AccountError as exc:
            form.current_password.errors.append(str(exc))
        else:
            user = current_user._get_current_object()
            db.session.commit()
            flash("Password changed. You have been signed out everywhere else.", "success")
            return finish_sign_in(user, url_for("auth.account"))
    return render_template(
        "auth/account.html",
        password_form=form,
        disable_form=DisableTwoFactorForm(),
        confirm_form=ConfirmForm(),
    ), 400


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    services.end_all_sessions(user)
    db.session.commit()
    flash("You have been signed out on every other device.", "success")
    return finish_sign_in(user, url_for("auth.account"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    if current_user.two_factor_enabled:
        flash("Two-factor sign-in is already on.", "info")
        return redirect(url_for("auth.account"))
    secret = session.get("totp_pending") or services.new_totp_secret()
    session["totp_pending"] = secret
    form = TwoFactorForm()
    if form.validate_on_submit():
        try:
            services.enable_totp(current_user, secret, form.code.data)
        except services.AccountError as exc:
            form.code.errors.append(str(exc))
        else:
            session.pop("totp_pending", None)
            session.pop("needs_2fa_setup", None)
            db.session.commit()
            flash("Two-factor sign-in is on.", "success")
            return redirect(url_for("auth.account"))
    uri = services.totp_uri(current_user, secret)
    qr = Markup(
        segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")
    )
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        qr=qr,
        secret=secret,
        required=session.get("needs_2fa_setup", False),
    )


@bp.post("/account/two-factor/disable")
@login_required
def two_factor_disable():
    form = DisableTwoFactorForm()
    if current_user.role == Role.ADMIN and current_app.config["REQUIRE_ADMIN_2FA"]:
        flash("Admins must keep two-factor sign-in on.", "danger")
        return redirect(url_for("auth.account"))
    if not form.validate_on_submit():
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        flash(f"Two-factor sign-in is still on. {problems}".strip(), "danger")
    elif services.verify_password_of(current_user, form.password.data):
        services.disable_totp(current_user)
        db.session.commit()
        flash("Two-factor sign-in is off.", "info")
    else:
        flash("Your password is not correct; two-factor sign-in is still on.", "danger")
    return redirect(url_for("auth.account"))
