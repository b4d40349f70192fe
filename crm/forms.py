"""Form pieces shared by every domain."""

from flask import current_app
from flask_wtf import FlaskForm


def strip(value):
    return value.strip() if isinstance(value, str) else value


class ConfirmForm(FlaskForm):
    """Nothing but a CSRF token, for buttons that change something."""


def public_form_limit() -> str:
    """Rate limit for public forms that write or send mail (registration, requests, giving)."""
    return current_app.config["PUBLIC_FORM_RATE_LIMIT"]
