"""Every form shares one base (crm.forms.BaseForm), which refuses control characters.

The walk covers forms added later by any branch: a form that does not subclass the base, or
a module that imports Flask-WTF's or WTForms' form class itself, fails here.
"""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
import wtforms
from sqlalchemy import func, select
from wtforms.fields import SelectFieldBase
from wtforms.fields.core import UnboundField

import crm
from crm.forms import CONTROL_CHARACTERS_REFUSED, BaseForm, ConfirmForm, SubForm
from tests.conftest import PASSWORD

CRM_DIR = Path(crm.__file__).parent


def import_every_module() -> None:
    for module in pkgutil.walk_packages(crm.__path__, "crm."):
        importlib.import_module(module.name)


def subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *subclasses(sub)}
    return found


def application_forms() -> set[type]:
    import_every_module()
    return {c for c in subclasses(wtforms.Form) if c.__module__.startswith("crm.")}


def test_every_form_class_subclasses_the_base():
    forms = application_forms()
    assert len(forms) >= 40  # the walk found the application's forms
    strays = [f"{c.__module__}.{c.__qualname__}" for c in forms if not issubclass(c, BaseForm)]
    assert sorted(strays) == []


def test_no_module_but_the_base_builds_on_wtforms_form_classes_directly():
    """Forms made inside functions (built per request) escape the walk above; the source
    shows them: nothing but crm/forms.py may name FlaskForm or wtforms' Form."""
    offenders = []
    for path in CRM_DIR.rglob("*.py"):
        if path == CRM_DIR / "forms.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in ("flask_wtf", "wtforms"):
                names = {alias.name for alias in node.names}
                if names & {"FlaskForm", "Form"}:
                    offenders.append(f"{path.relative_to(CRM_DIR)} imports {names}")
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(base) for base in node.bases}
                if bases & {"FlaskForm", "Form", "wtforms.Form", "flask_wtf.FlaskForm"}:
                    offenders.append(f"{path.relative_to(CRM_DIR)}: class {node.name}")
    assert offenders == []


def test_every_choice_a_form_posts_is_checked_against_its_list():
    """Selects, radios and checkboxes of the forms that change something refuse a value that
    is not on their list; only filter forms (GET, no CSRF), which ignore such a value, may
    leave it unchecked."""
    loose = []
    for form in application_forms():
        if getattr(form.Meta, "csrf", True) is False:
            continue
        for name in dir(form):
            field = getattr(form, name)
            if (
                isinstance(field, UnboundField)
                and issubclass(field.field_class, SelectFieldBase)
                and field.kwargs.get("validate_choice", True) is False
            ):
                loose.append(f"{form.__qualname__}.{name}")
    assert loose == []


@pytest.mark.parametrize(
    "text",
    ["a\x00b", "tab\x0bvertical", "bell\x07", "escape\x1b[31m", "del\x7f", "c1\x85"],
)
def test_control_characters_get_a_field_error_and_are_taken_out(app, text):
    class NoteForm(BaseForm):
        class Meta:
            csrf = False

        body = wtforms.TextAreaField()

    with app.test_request_context(method="POST", data={"body": text}):
        form = NoteForm()
        assert not form.validate()
        assert form.body.errors == [CONTROL_CHARACTERS_REFUSED]
        assert form.body.data == form.body.raw_data[0]
        assert "\x00" not in form.body.data and form.body.data.isprintable()


def test_control_characters_in_an_input_no_field_reads_make_the_form_invalid(app):
    """A list's own name, or a button's value the view reads itself: nobody cleans them, so
    the form refuses them, with the message above it."""

    class RowForm(SubForm):
        body = wtforms.StringField()

    class ListForm(BaseForm):
        class Meta:
            csrf = False

        rows = wtforms.FieldList(wtforms.FormField(RowForm), min_entries=1)

    for data in ({"rows": "a\x00b"}, {"action": "save\x1b"}):
        with app.test_request_context(method="POST", data={"rows-0-body": "fine", **data}):
            form = ListForm()
            assert not form.validate() and form.form_errors == [CONTROL_CHARACTERS_REFUSED]
    with app.test_request_context(method="POST", data={"rows-0-body": "x\x00", "action": "ok"}):
        form = ListForm()  # a row's field: its own error, not a second one above the form
        assert not form.validate() and form.form_errors == []
        assert form.rows[0].body.errors == [CONTROL_CHARACTERS_REFUSED]
    with app.test_request_context(method="POST", data={"rows-0-body": "fine", "action": "ok"}):
        assert ListForm().validate()


def test_an_amount_beyond_what_the_database_holds_is_a_field_error(app):
    from crm.donations.forms import AmountField

    class FilterForm(BaseForm):
        class Meta:
            csrf = False

        minimum = AmountField()

    for text, cents in (("21474836.47", 2_147_483_647), ("21474836.48", None),
                        ("99999999999999999999", None)):  # fmt: skip
        with app.test_request_context(method="POST", data={"minimum": text}):
            form = FilterForm()
            assert form.validate() == (cents is not None) and form.minimum.cents == cents


def test_tabs_and_line_breaks_are_text(app):
    class NoteForm(BaseForm):
        class Meta:
            csrf = False

        body = wtforms.TextAreaField()

    with app.test_request_context(method="POST", data={"body": "one\ttwo\r\nthree\n"}):
        form = NoteForm()
        assert form.validate() and form.body.data == "one\ttwo\r\nthree\n"


def test_confirm_form_is_a_base_form():
    assert issubclass(ConfirmForm, BaseForm)


# --- the public forms the issue names, on both engines ---------------------------------


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def refused_then_accepted(client, db, model, url: str, data: dict, field: str) -> None:
    """The form with a NUL in one field is refused with the error and writes nothing; the
    same form without it goes through (so the refusal is the NUL's doing)."""
    response = client.form(url, {**data, field: data[field][:3] + "\x00" + data[field][3:]})
    assert response.status_code in (200, 422)
    assert "invisible control characters" in response.text
    assert count(db, model) == 0
    assert client.form(url, data).status_code == 302
    assert count(db, model) == 1


def test_nul_in_a_training_request_is_a_field_error(client, db):
    from crm.events.models import TrainingRequest

    data = {
        "organisation_name": "Lincoln High", "organisation_type": "school",
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org",
        "audience": "students", "estimated_size": "30", "preferred_1": "2030-05-01T10:00",
        "place": "1 School Road", "notes": "Bring the projector",
    }  # fmt: skip
    refused_then_accepted(client, db, TrainingRequest, "/trainings/request", data, "notes")


def test_nul_in_a_volunteer_application_is_a_field_error(client, db):
    from crm.volunteers.models import Application

    data = {
        "first_name": "Val", "last_name": "Unteer", "email": "val@example.org",
        "emergency_name": "Em", "emergency_phone": "+12025550100", "adult": "yes",
        "conduct": "y", "roles": "event_helper", "skills": "Public speaking",
    }  # fmt: skip
    refused_then_accepted(client, db, Application, "/volunteer/apply", data, "skills")


def test_nul_in_the_sign_in_email_is_a_field_error(client, db, make_user):
    user = make_user()
    response = client.form("/auth/login", {"email": user.email + "\x00", "password": PASSWORD})
    assert response.status_code == 200
    assert "invisible control characters" in response.text
    client.login(user)


def test_nul_in_a_search_is_ignored_with_an_error(signed_in):
    client, _ = signed_in("fundraiser")
    for url in ("/contacts/?q=a%00b", "/donations/?q=%00", "/events?audience=%00"):
        assert client.get(url).status_code < 500, url


# --- choices and ids from the client ------------------------------------------------------


@pytest.fixture
def campaign_and_fund(db):
    from crm.donations.models import Campaign, Fund

    fund = Fund(name="Parent trainings")
    campaign = Campaign(name="Spring", slug="spring", goal_cents=100_000, currency="USD",
                        default_fund=fund)  # fmt: skip
    db.session.add_all([fund, campaign])
    db.session.commit()
    return campaign, fund


def campaign_form(campaign, **changes) -> dict:
    data = {
        "name": "Spring appeal",
        "slug": campaign.slug,
        "goal": "1000.00",
        "status": campaign.status.value,
        "default_fund": str(campaign.default_fund_id),
    }
    return {k: v for k, v in {**data, **changes}.items() if v is not None}


@pytest.mark.parametrize("value", ["abc", "999999", "-1", "99999999999999999999", "1 OR 1=1"])
def test_a_campaign_default_fund_off_the_list_is_a_field_error(
    signed_in, campaign_and_fund, db, value
):
    from crm.donations.models import Campaign

    client, _ = signed_in("fundraiser")
    campaign, fund = campaign_and_fund
    url = f"/donations/campaigns/{campaign.id}/edit"
    response = client.form(url, campaign_form(campaign, default_fund=value))
    assert response.status_code == 200 and "Not a valid choice" in response.text
    saved = db.session.get(Campaign, campaign.id)
    assert (saved.name, saved.default_fund_id) == ("Spring", fund.id)


def test_a_campaign_edit_without_the_default_fund_keeps_it(signed_in, campaign_and_fund, db):
    from crm.donations.models import Campaign

    client, _ = signed_in("fundraiser")
    campaign, fund = campaign_and_fund
    url = f"/donations/campaigns/{campaign.id}/edit"
    assert client.form(url, campaign_form(campaign, default_fund=None)).status_code == 302
    saved = db.session.get(Campaign, campaign.id)
    assert (saved.name, saved.default_fund_id) == ("Spring appeal", fund.id)


@pytest.mark.parametrize("field", ["fund", "campaign"])
def test_a_gift_for_a_fund_or_campaign_that_does_not_exist_is_a_field_error(
    signed_in, make_contact, campaign_and_fund, db, field
):
    from crm.donations.models import Donation

    client, _ = signed_in("fundraiser")
    donor = make_contact()
    data = {"method": "cash", "amount": "25", "received_on": "2026-01-05", field: "999999"}
    response = client.form(f"/contacts/{donor.id}/gifts/new", data)
    assert response.status_code == 200 and "Not a valid choice" in response.text
    assert count(db, Donation) == 0
    assert client.form(f"/contacts/{donor.id}/gifts/new", {**data, field: ""}).status_code == 302
    assert count(db, Donation) == 1
