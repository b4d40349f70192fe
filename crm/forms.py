"""Form pieces shared by every domain.

Every form of the application subclasses `BaseForm` (tests/test_forms.py walks them all), so
what every input must pass is decided here once: text with control characters is refused
with a field error before any validator or view sees it.
"""

import re

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, SelectField

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
    passes them on to the database or back into the page. Control characters in an input
    no field reads (a list's own name, a button's value the view reads itself) make the form
    invalid too, with the same message above the form."""

    checks_every_input = True  # rows of a list leave it to the form around them
    stray_control_characters = False

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        formdata = self.meta.wrap_formdata(self, formdata)
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)
        for field in self:
            if has_control_characters(field.raw_data):
                field.raw_data = without_control_characters(field.raw_data)
                field.data = without_control_characters(field.data)
                field.process_errors = [*field.process_errors, CONTROL_CHARACTERS_REFUSED]
        if formdata is not None and self.checks_every_input:
            lists = [f.name for f in self if isinstance(f, FieldList | FormField)]
            read = {f.name for f in self} - set(lists)  # checked above
            self.stray_control_characters = any(
                has_control_characters(formdata.getlist(key))
                for key in formdata
                if key not in read and not key.startswith(tuple(f"{n}-" for n in lists))
            )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.stray_control_characters:
            self.form_errors.append(CONTROL_CHARACTERS_REFUSED)
            return False
        return valid


class SubForm(BaseForm):
    """A form repeated inside another (a row of a FieldList): the form around it carries the
    CSRF token, and its fields are checked like any other."""

    checks_every_input = False

    class Meta:
        csrf = False


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
