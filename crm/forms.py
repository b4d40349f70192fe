"""Form pieces shared by every domain."""

from flask_wtf import FlaskForm


def strip(value):
    return value.strip() if isinstance(value, str) else value


class ConfirmForm(FlaskForm):
    """Nothing but a CSRF token, for buttons that change something."""
