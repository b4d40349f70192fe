"""Form pieces shared by every domain.

Every form of the application subclasses `BaseForm` (tests/test_forms.py walks them all), so
what every input must pass is decided here once: text with control characters is refused
with a field error before any validator or view sees it.
"""

import re

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import SelectField

# Unicode's control characters (C0, DEL and C1) except tab, line feed and carriage return
# (browsers send a textarea's line breaks as CR LF). PostgreSQL cannot store NUL at all, and
# none of them belongs in a name, a note or an address.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_CHARACTERS_REFUSED = (
    "This contains invisible control characters (such as a null byte), which cannot be "
    "stored. Type the text again or paste it as plain text."
)


def strip(value):
    return value.strip() if isinstance(value, str) else value


def without_control_characters(value):
    """The value with control characters taken out (strings, and lists of strings)."""
    if isinstance(value, str):
        return CONTROL_CHARACTERS.sub("", value)
    if isinstance(value, list):
        return [without_control_characters(v) for v in value]
    return value


def has_control_characters(values) -> bool:
    return any(isinstance(v, str) and CONTROL_CHARACTERS.search(v) for v in values or ())


class BaseForm(FlaskForm):
    """The base of every form here. A field whose submitted text holds control characters
    gets an error (so the form does not validate), and its value is cleaned of them, so
    that neither a validator nor a view that reads `data` without validating (a filter form)
    passes them on to the database or back into the page."""

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)
        for field in self:
            if has_control_characters(field.raw_data):
                field.raw_data = without_control_characters(field.raw_data)
                field.data = without_control_characters(field.data)
                field.process_errors = [*field.process_errors, CONTROL_CHARACTERS_REFUSED]


class OptionalSelectField(SelectField):
    """A select of records whose "" choice means none, checked against its choices like any
    select. What a form is filled from (a record's id, the record itself, or None) becomes
    the choice's value, so a form posted without the field keeps what the record has
    instead of choking on the related object."""

    def process_data(self, value):
        if value is None:
            self.data = ""
        elif hasattr(value, "id"):
            self.data = str(value.id)
        else:
            self.data = str(value)


class ConfirmForm(BaseForm):
    """Nothing but a CSRF token, for buttons that change something."""


def public_form_limit() -> str:
    """Rate limit for public forms that write or send mail (registration, requests, giving)."""
    return current_app.config["PUBLIC_FORM_RATE_LIMIT"]
