from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from crm.contacts.forms import NormalisedEmail, NormalisedPhone
from crm.events.forms import MultiCheckboxField, to_utc, when_field
from crm.forms import BaseForm, OptionalSelectField, strip
from crm.volunteers.applications import UNDER_18
from crm.volunteers.models import CredentialStatus, VolunteerRole

ROLE_CHOICES = {r.value: r.label for r in VolunteerRole}
RECORDABLE_STATUSES = {s.value: s.label for s in CredentialStatus if s != CredentialStatus.EXPIRED}


def text(label, max_length=2000, required=False, **kwargs):
    validators = [DataRequired(), Length(max=max_length)] if required else [
        Optional(), Length(max=max_length)]  # fmt: skip
    return TextAreaField(label, validators, filters=[strip], **kwargs)


def line(label, max_length=200, required=False, **kwargs):
    validators = [DataRequired(), Length(max=max_length)] if required else [
        Optional(), Length(max=max_length)]  # fmt: skip
    return StringField(label, validators, filters=[strip], **kwargs)


class ProfileFields(BaseForm):
    roles = MultiCheckboxField("What would you like to do?", choices=ROLE_CHOICES)
    skills = text("Skills and experience", description="Teaching, public speaking, languages, "
                  "design, anything that helps.")  # fmt: skip
    languages = line("Languages you speak")
    availability = text(
        "When are you usually available?", 1000,
        description="For example: weekday evenings, Saturday mornings, school hours.",
    )  # fmt: skip
    emergency_name = line("Emergency contact: name", required=True)
    emergency_phone = StringField(
        "Emergency contact: phone", [DataRequired(), Length(max=40), NormalisedPhone()],
        filters=[strip],
    )  # fmt: skip


class ApplicationForm(ProfileFields):
    first_name = line("First name", 100, required=True)
    last_name = line("Last name", 100, required=True)
    email = StringField(
        "Email", [DataRequired(), Length(max=254), NormalisedEmail()], filters=[strip],
        description="We write to you here about your application.",
    )  # fmt: skip
    phone = StringField(
        "Phone (optional)", [Optional(), Length(max=40), NormalisedPhone()], filters=[strip]
    )
    adult = RadioField(
        "Are you 18 or over?", choices={"yes": "Yes", "no": "No"},
        validators=[InputRequired(message="Tell us whether you are 18 or over.")],
    )  # fmt: skip
    conduct = BooleanField(
        "I have read the code of conduct and agree to follow it",
        [DataRequired(message="You must agree to the code of conduct to apply.")],
    )

    def validate_adult(self, field):
        if field.data == "no":
            raise ValidationError(UNDER_18)


class VolunteerProfileForm(ProfileFields):
    """The profile as coordinators keep it."""

    roles = MultiCheckboxField("Interested in", choices=ROLE_CHOICES)
    languages = line("Languages")
    availability = text("Usually available", 1000)


class DeactivateForm(BaseForm):
    reason = text(
        "Why", 1000, required=True,
        description="Kept in the audit log, which only admins read. The volunteer is told "
        "they are off their coming shifts, not why.",
    )  # fmt: skip


class MessageForm(BaseForm):
    message = text("Message to the applicant", 5000, required=True)


class CredentialTypeForm(BaseForm):
    name = line("Name", 120, required=True)
    validity_days = IntegerField(
        "Valid for (days)", [Optional(), NumberRange(1, 36_500)],
        description="For example 730 for two years. Empty: it never expires.",
    )  # fmt: skip
    sensitive = BooleanField("Details are confidential (admins only), like a background check")


class CredentialForm(BaseForm):
    type_id = SelectField("Credential", coerce=int, validators=[DataRequired()])
    status = SelectField("Status", choices=RECORDABLE_STATUSES, validators=[DataRequired()])
    completed_on = DateField(
        "Date passed", [Optional()], description="The expiry date follows from the type."
    )
    details = text("Details", 5000, description="Provider, reference number, notes.")


class CredentialStatusForm(BaseForm):
    status = SelectField(
        "New status",
        choices={s.value: s.label for s in (CredentialStatus.PASSED, CredentialStatus.FAILED)},
    )
    completed_on = DateField("Date passed", [Optional()])


class ShiftForm(BaseForm):
    title = line("Title", required=True)
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    event_id = OptionalSelectField("Event")
    starts_at = when_field("Starts", required=True)
    ends_at = when_field("Ends", required=True)
    place = text("Place", 1000)
    capacity = IntegerField("Volunteers needed", [InputRequired(), NumberRange(1, 1000)],
                            default=1)  # fmt: skip
    youth_facing = BooleanField(
        "Works with children or young people",
        description="Needs a valid background check and safeguarding training.",
    )
    required_type_ids = MultiCheckboxField("Also requires", coerce=int)
    notes = text("Notes for volunteers", 5000)

    def shift_data(self) -> dict:
        event = self.event_id.data
        return {
            "title": self.title.data,
            "role": VolunteerRole(self.role.data),
            "event_id": int(event) if event and event.isdigit() else None,
            "starts_at": to_utc(self.starts_at.data),
            "ends_at": to_utc(self.ends_at.data),
            "place": self.place.data or None,
            "capacity": self.capacity.data,
            "youth_facing": self.youth_facing.data,
            "notes": self.notes.data or None,
        }


class AssignForm(BaseForm):
    volunteer_id = SelectField("Volunteer", coerce=int, validators=[DataRequired()])


class LogHoursForm(BaseForm):
    day = DateField("Day", [InputRequired(message="Enter the day.")])
    hours = DecimalField(
        "Hours", [InputRequired(), NumberRange(0.25, 16)], places=2,
        description="For example 1.5 for an hour and a half.",
    )  # fmt: skip
    role = SelectField("What you did", choices=ROLE_CHOICES, validators=[DataRequired()])
    description = text("Description", 1000, required=True)


class ProfileForm(ProfileFields):
    pass
