"""Pieces of the hostile-input test (tests/test_hostile_input.py): which forms a request
builds and validates, what it commits, a valid value for each kind of field, and the hostile
values to post instead."""

import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from sqlalchemy import event
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    FileField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import NumberRange, Regexp

from crm.contacts.forms import WebAddress
from crm.forms import BaseForm
from tests.conftest import PASSWORD

NEW_PASSWORD = "an unusual phrase of several words 7"
FILE = ("upload", b"First Name,Last Name,Email\nAda,Lovelace,ada@example.org\n", "a.csv")
# Tables a refused request may still write: the signed-in session's "last seen" and the
# audit entry of a failed sign-in are records of the attempt, not of what it asked for.
BOOKKEEPING = ("user_sessions", "audit_events")


class FormRecorder:
    """The forms a request builds, and which of them it validates."""

    def __init__(self):
        self.built: list[BaseForm] = []
        self.validated: set[int] = set()

    @contextmanager
    def watching(self, monkeypatch):
        process, validate = BaseForm.process, BaseForm.validate
        recorder = self

        def recording_process(form, *args, **kwargs):
            process(form, *args, **kwargs)
            if form not in recorder.built:
                recorder.built.append(form)

        def recording_validate(form, *args, **kwargs):
            recorder.validated.add(id(form))
            return validate(form, *args, **kwargs)

        monkeypatch.setattr(BaseForm, "process", recording_process)
        monkeypatch.setattr(BaseForm, "validate", recording_validate)
        yield self
        monkeypatch.setattr(BaseForm, "process", process)
        monkeypatch.setattr(BaseForm, "validate", validate)

    def reset(self) -> None:
        self.built, self.validated = [], set()

    def checked(self, name: str) -> bool:
        """Whether a form with this field was validated (its input looked at)."""
        return any(id(form) in self.validated and name in form._fields for form in self.built)

    def fields(self) -> dict:
        """Name -> (field, validated?) of every field of the forms seen, CSRF aside."""
        found = {}
        for form in self.built:
            for field in form:
                if field.name != "csrf_token" and field.name not in found:
                    found[field.name] = (field, id(form) in self.validated)
        return found


class WriteWatch:
    """The INSERT, UPDATE and DELETE statements an engine committed (bookkeeping aside)."""

    DML = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I)

    def __init__(self, engine):
        self.engine, self.pending, self.committed = engine, [], []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        match = self.DML.match(statement)
        if match and match.group(2).lower() not in BOOKKEEPING:
            self.pending.append(f"{match.group(1).split()[0]} {match.group(2)}")

    def _commit(self, conn):
        self.committed += self.pending
        self.pending = []

    def _rollback(self, conn):
        self.pending = []

    def take(self) -> list[str]:
        committed, self.committed, self.pending = self.committed, [], []
        return committed


def choice_values(field) -> list[str]:
    return [str(c.value) for c in field._iter_choices_normalized()] if field.choices else []


def valid_value(field, name: str):
    """A value the field accepts (as far as the field alone can tell)."""
    soon = datetime.now() + timedelta(days=30)
    if isinstance(field, FileField):
        return FILE
    if isinstance(field, BooleanField):
        return "y"
    if isinstance(field, SelectMultipleField):
        return choice_values(field)[:1]
    if isinstance(field, (SelectField, RadioField)):
        values = [v for v in choice_values(field) if v not in ("", "no")]
        return values[0] if values else ""
    if isinstance(field, DateTimeLocalField):
        if "opens" in name or "closes" in name or name.endswith(("_2", "_3")):
            return ""
        hour = 12 if "end" in name else 10
        return soon.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")
    if isinstance(field, DateField):
        return (date.today() - timedelta(days=30)).isoformat()
    if "capacity" in name:
        return "50"
    if isinstance(field, (IntegerField, DecimalField)):
        ranges = [v for v in field.validators if isinstance(v, NumberRange)]
        low = ranges[0].min if ranges and ranges[0].min is not None else 1
        return str(low if isinstance(field, IntegerField) else max(low, 1.5))
    if isinstance(field, PasswordField):
        return PASSWORD if "current" in name or name == "password" and _login(field) else (
            NEW_PASSWORD)  # fmt: skip
    if isinstance(field, EmailField) or "email" in name:
        return "someone.new@example.org"
    if "phone" in name:
        return "+12025550123"
    if "amount" in name or name in ("goal", "benefit"):
        return "25.00"
    for validator in field.validators:
        if isinstance(validator, Regexp):
            for candidate in ("spring-appeal", "US", "SPRING_1"):
                if validator.regex.match(candidate):
                    return candidate
        if isinstance(validator, WebAddress):
            return "https://example.org/page"
    if isinstance(field, HiddenField):
        return field._value()
    return "Hostile test value"


def _login(field) -> bool:
    return type(field._form).__name__ in ("LoginForm", "DisableTwoFactorForm")


def is_choice(field) -> bool:
    return isinstance(field, (SelectField, RadioField)) and not isinstance(field, FileField)


# Values that must be refused whatever the field: control characters (NUL too).
MUST_REFUSE = {"NUL": "a\x00b", "escape": "\x1b[31mred"}
# Values that must not break anything; the form may accept some of them. Choices must refuse
# the ids and numbers; every kind of field gets the kinds of values that break it.
FOR_TEXT = {"100k characters": "x" * 100_000, "invalid UTF-8": b"\xff\xfe\xfd",
            "markup": "<script>alert(1)</script>", "empty": ""}  # fmt: skip
FOR_NUMBERS = {"negative": "-1", "huge": "99999999999999999999", "decimal": "1e308",
               "empty": ""}  # fmt: skip
FOR_CHOICES = {"no such id": "999999", "negative": "-1", "huge": "99999999999999999999",
               "empty": ""}  # fmt: skip
MUST_NOT_BREAK = {**FOR_TEXT, **FOR_NUMBERS, **FOR_CHOICES, "injection": "1' OR '1'='1"}


def hostile_values(field) -> dict:
    """The values that may break this kind of field (and text for every field)."""
    if is_choice(field):
        return {**FOR_CHOICES, "invalid UTF-8": FOR_TEXT["invalid UTF-8"]}
    if isinstance(field, (IntegerField, DecimalField, DateField, DateTimeLocalField)):
        return {**FOR_NUMBERS, "invalid UTF-8": FOR_TEXT["invalid UTF-8"]}
    return FOR_TEXT
