"""Users, roles, sign-in, sessions, password reset, two-factor and user administration."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from crm.auth import admin_views, loader, views  # noqa: E402,F401
