"""Who may open which view.

Every view declares its audience with one of the decorators below; `enforce_access` runs
before each request and refuses any endpoint that declares nothing, so a new route is closed
until someone decides who it is for.
"""

from collections.abc import Callable

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user

from crm.auth.roles import Role

PUBLIC = "public"
AUTHENTICATED = "authenticated"

# Endpoints a signed-in admin may still reach while two-factor enrolment is pending.
ENROLMENT_ENDPOINTS = {"auth.two_factor_setup", "auth.logout", "static"}


def public(view: Callable) -> Callable:
    view.access = PUBLIC
    return view


def login_required(view: Callable) -> Callable:
    view.access = AUTHENTICATED
    return view


def role_required(*roles: Role | str) -> Callable[[Callable], Callable]:
    """Allow the given roles; admins are always allowed."""
    allowed = frozenset(Role(r) for r in roles) | {Role.ADMIN}

    def decorator(view: Callable) -> Callable:
        view.access = allowed
        return view

    return decorator


def staff_required(view: Callable) -> Callable:
    return role_required(Role.FUNDRAISER, Role.COORDINATOR)(view)


def access_of(endpoint: str | None):
    if endpoint is None:
        return None
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def enrolment_redirect():
    """An admin who must still set up two-factor sign-in goes there first; public views that
    also serve signed-in users (the home page) ask this too."""
    if session.get("needs_2fa_setup") and request.endpoint not in ENROLMENT_ENDPOINTS:
        return redirect(url_for("auth.two_factor_setup"))
    return None


def enforce_access():
    if request.endpoint is None:
        return None  # 404 / 405 follow
    access = access_of(request.endpoint)
    if access is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
    if access == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    enrolment = enrolment_redirect()
    if enrolment is not None:
        return enrolment
    if access != AUTHENTICATED and current_user.role not in access:
        abort(403)
    return None
