import re
from datetime import date

from flask import current_app
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from crm.contacts.models import AffiliationKind, OrganisationType, RelationshipKind
from crm.contacts.normalise import normalise_email, normalise_phone
from crm.forms import BaseForm, strip


class NormalisedEmail:
    """Validate an email address and store it in its normal form."""

    def __call__(self, form, field):
        if field.data:
            try:
                field.data = normalise_email(field.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc


class NormalisedPhone:
    """Validate a phone number and store it as E.164."""

    def __call__(self, form, field):
        if field.data:
            try:
                field.data = normalise_phone(field.data, current_app.config["DEFAULT_PHONE_REGION"])
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc


class PastDate:
    def __call__(self, form, field):
        if field.data and field.data > date.today():
            raise ValidationError("A date of birth cannot be in the future.")


def upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def address_fields():
    """The postal address fields, created where they are called so that they come after the
    fields defined before them (WTForms orders fields by creation)."""
    return (
        StringField("Address line 1", [Optional(), Length(max=200)], filters=[strip]),
        StringField("Address line 2", [Optional(), Length(max=200)], filters=[strip]),
        StringField("City", [Optional(), Length(max=100)], filters=[strip]),
        StringField("State or region", [Optional(), Length(max=100)], filters=[strip]),
        StringField("ZIP or postcode", [Optional(), Length(max=20)], filters=[strip]),
        StringField(
            "Country code",
            [Optional(), Regexp(r"^[A-Z]{2}$", message="Use a two-letter country code, e.g. US.")],
            filters=[upper],
            description="Two letters, e.g. US",
        ),
    )


class WebAddress:
    """A full http(s) address; other schemes (javascript:, data:...) are refused."""

    def __call__(self, form, field):
        if field.data and not re.match(r"^https?://[^\s/$.?#][^\s]*$", field.data, re.I):
            raise ValidationError("Enter a full web address starting with https://")


class ContactForm(BaseForm):
    first_name = StringField("First name", [DataRequired(), Length(max=100)], filters=[strip])
    last_name = StringField("Last name", [DataRequired(), Length(max=100)], filters=[strip])
    preferred_name = StringField("Preferred name", [Optional(), Length(max=100)], filters=[strip])
    birth_date = DateField("Date of birth", [Optional(), PastDate()])
    email = StringField("Email", [Optional(), Length(max=254), NormalisedEmail()], filters=[strip])
    phone = StringField("Phone", [Optional(), Length(max=40), NormalisedPhone()], filters=[strip])
    email_opt_in = BooleanField("Agreed to receive email updates")
    do_not_contact = BooleanField("Do not contact")
    address_line1, address_line2, city, region, postcode, country = address_fields()
    tags = StringField(
        "Tags", [Optional(), Length(max=500)], filters=[strip], description="Separate with commas"
    )
    confirm_duplicate = BooleanField("This is a different person; create the contact anyway")

    def tag_names(self) -> list[str]:
        return [t.strip() for t in (self.tags.data or "").split(",") if t.strip()]

    def contact_data(self) -> dict:
        skip = {"csrf_token", "tags", "confirm_duplicate"}
        return {name: field.data for name, field in self._fields.items() if name not in skip}


class OrganisationForm(BaseForm):
    name = StringField("Name", [DataRequired(), Length(max=200)], filters=[strip])
    type = SelectField(
        "Type", choices={t.value: t.label for t in OrganisationType}, validators=[DataRequired()]
    )
    email = StringField("Email", [Optional(), Length(max=254), NormalisedEmail()], filters=[strip])
    phone = StringField("Phone", [Optional(), Length(max=40), NormalisedPhone()], filters=[strip])
    website = StringField(
        "Website",
        [Optional(), Length(max=300), WebAddress()],
        filters=[strip],
    )
    address_line1, address_line2, city, region, postcode, country = address_fields()
    notes = TextAreaField("Notes", [Optional(), Length(max=5000)])

    def organisation_data(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        data["type"] = OrganisationType(data["type"])
        return data


class NoteForm(BaseForm):
    body = TextAreaField("Add a note", [DataRequired(), Length(max=5000)], filters=[strip])


class AffiliationForm(BaseForm):
    organisation = StringField(
        "Organisation",
        [DataRequired(), Length(max=200)],
        filters=[strip],
        render_kw={"list": "organisation-names", "autocomplete": "off"},
    )
    kind = SelectField(
        "Link", choices={"": "Choose", **{k.value: k.label for k in AffiliationKind}},
        validators=[Optional()],
    )  # fmt: skip
    role = StringField("Role there", [Optional(), Length(max=120)], filters=[strip])


class RelationshipForm(BaseForm):
    kind = SelectField("This person is", choices={k.value: k.labels[0] for k in RelationshipKind})
    person = StringField(
        "Who", [DataRequired(), Length(max=200)], filters=[strip],
        description="A name, an email, a phone or a contact number like #123",
    )  # fmt: skip
    note = StringField("Note", [Optional(), Length(max=200)], filters=[strip])


class HouseholdForm(BaseForm):
    name = StringField("Household name", [DataRequired(), Length(max=200)], filters=[strip])
    salutation = StringField(
        "Salutation", [Optional(), Length(max=200)], filters=[strip],
        description="How letters to the household begin, e.g. María and Tomás Núñez",
    )  # fmt: skip
    address_line1, address_line2, city, region, postcode, country = address_fields()
    share_address = BooleanField("Give every member this address", default=True)

    def household_data(self) -> dict:
        skip = {"csrf_token", "share_address"}
        return {name: field.data for name, field in self._fields.items() if name not in skip}


class HouseholdMemberForm(BaseForm):
    person = StringField(
        "Add a member", [DataRequired(), Length(max=200)], filters=[strip],
        description="A name, an email, a phone or a contact number like #123",
    )  # fmt: skip
    take_address = BooleanField("Give them the household's address", default=True)


MERGE_CHOICES = {"survivor": "Keep this contact's", "other": "Take the other's"}


class MergeForm(BaseForm):
    other_id = HiddenField(validators=[DataRequired()])
    first_name = RadioField("First name", choices=MERGE_CHOICES, default="survivor")
    last_name = RadioField("Last name", choices=MERGE_CHOICES, default="survivor")
    preferred_name = RadioField("Preferred name", choices=MERGE_CHOICES, default="survivor")
    email = RadioField("Email", choices=MERGE_CHOICES, default="survivor")
    phone = RadioField("Phone", choices=MERGE_CHOICES, default="survivor")
    address = RadioField("Address", choices=MERGE_CHOICES, default="survivor")

    def take_from_other(self) -> set[str]:
        fields = ("first_name", "last_name", "preferred_name", "email", "phone", "address")
        return {f for f in fields if self[f].data == "other"}


class ContactFilterForm(BaseForm):
    class Meta:
        csrf = False  # a search form changes nothing

    q = StringField("Search", [Optional(), Length(max=200)], filters=[strip])
    tag = SelectField("Tag", coerce=str, validate_choice=False)
    # An organisation's name, or the beginning of it (an id from a link also works).
    organisation = StringField("Organisation", [Optional(), Length(max=200)], filters=[strip])
    email_opt_in = SelectField(
        "Email updates", choices={"": "Any", "yes": "Opted in", "no": "Not opted in"}
    )
    do_not_contact = SelectField(
        "Do not contact", choices={"": "Any", "yes": "Do not contact", "no": "May contact"}
    )
    sort = SelectField(
        "Sort by",
        choices={
            "name": "Name A–Z",
            "-name": "Name Z–A",
            "newest": "Newest",
            "updated": "Recently updated",
        },
    )
