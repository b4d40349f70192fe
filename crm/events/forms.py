from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from crm.contacts.forms import NormalisedEmail, NormalisedPhone, WebAddress
from crm.contacts.models import OrganisationType
from crm.events.models import Audience
from crm.events.services import MAX_GUESTS
from crm.forms import BaseForm, OptionalSelectField, strip

AUDIENCE_CHOICES = {a.value: a.label for a in Audience}


def org_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ORG_TIMEZONE"])


def to_utc(local: datetime | None) -> datetime | None:
    """A wall-clock time typed in the organisation's time zone, as aware UTC."""
    if local is None:
        return None
    return local.replace(tzinfo=org_zone()).astimezone(UTC)


def to_local(value: datetime | None) -> datetime | None:
    return value.astimezone(org_zone()).replace(tzinfo=None) if value else None


def when_field(label: str, required: bool = False, description: str | None = None):
    validators = [InputRequired(message="Enter a date and time.")] if required else [Optional()]
    return DateTimeLocalField(label, validators, format="%Y-%m-%dT%H:%M", description=description)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EventTypeForm(BaseForm):
    name = StringField("Name", [DataRequired(), Length(max=120)], filters=[strip])
    description = TextAreaField("Description", [Optional(), Length(max=2000)], filters=[strip])
    default_minutes = IntegerField(
        "Usual length in minutes", [InputRequired(), NumberRange(5, 24 * 60)], default=60
    )


class EventForm(BaseForm):
    title = StringField("Title", [DataRequired(), Length(max=200)], filters=[strip])
    type_id = SelectField("Event type", coerce=int, validators=[DataRequired()])
    description = TextAreaField("Description", [Optional(), Length(max=5000)], filters=[strip])
    starts_at = when_field("Starts", required=True)
    ends_at = when_field("Ends", required=True)
    venue = TextAreaField(
        "Venue address", [Optional(), Length(max=1000)], filters=[strip],
        description="Shown to everyone. Leave empty for an online event.",
    )  # fmt: skip
    online_url = StringField(
        "Online link", [Optional(), Length(max=500), WebAddress()], filters=[strip],
        description="Sent only to registrants, never shown on the public page.",
    )  # fmt: skip
    capacity = IntegerField(
        "Capacity", [Optional(), NumberRange(min=0, max=100_000)],
        description="Seats, guests included. Leave empty for no limit.",
    )  # fmt: skip
    registration_opens_at = when_field("Registration opens", description="Empty: open now.")
    registration_closes_at = when_field(
        "Registration closes", description="Empty: open until the event starts."
    )
    is_public = BooleanField("List on the public events page and calendar feed", default=True)
    campaign_id = OptionalSelectField("Campaign")
    audiences = MultiCheckboxField("Expected audiences", choices=AUDIENCE_CHOICES)
    presenter_ids = MultiCheckboxField("Presenters", coerce=int)
    materials_notes = TextAreaField(
        "Materials", [Optional(), Length(max=5000)], filters=[strip],
        description="What to bring: handouts, projector, sign-in sheets…",
    )  # fmt: skip
    survey_url = StringField(
        "Survey link", [Optional(), Length(max=500), WebAddress()], filters=[strip],
        description="Sent with the thank-you after the event.",
    )  # fmt: skip

    def event_data(self) -> dict:
        campaign = self.campaign_id.data
        return {
            "title": self.title.data,
            "type_id": self.type_id.data,
            "description": self.description.data or None,
            "starts_at": to_utc(self.starts_at.data),
            "ends_at": to_utc(self.ends_at.data),
            "venue": self.venue.data or None,
            "online_url": self.online_url.data or None,
            "capacity": self.capacity.data,
            "registration_opens_at": to_utc(self.registration_opens_at.data),
            "registration_closes_at": to_utc(self.registration_closes_at.data),
            "is_public": self.is_public.data,
            "campaign_id": int(campaign) if campaign and campaign.isdigit() else None,
            "audiences": [a for a in self.audiences.data or [] if a in AUDIENCE_CHOICES],
            "materials_notes": self.materials_notes.data or None,
            "survey_url": self.survey_url.data or None,
        }


class RegistrationForm(BaseForm):
    first_name = StringField("First name", [DataRequired(), Length(max=100)], filters=[strip])
    last_name = StringField("Last name", [DataRequired(), Length(max=100)], filters=[strip])
    email = StringField(
        "Email", [DataRequired(), Length(max=254), NormalisedEmail()], filters=[strip],
        description="Your confirmation and calendar file are sent here.",
    )  # fmt: skip
    phone = StringField(
        "Phone (optional)", [Optional(), Length(max=40), NormalisedPhone()], filters=[strip]
    )
    guests = IntegerField(
        "Guests coming with you", [Optional(), NumberRange(0, MAX_GUESTS)], default=0,
        description=f"Adults or children you are bringing, up to {MAX_GUESTS}. "
        "We only need the number.",
    )  # fmt: skip


class TrainingRequestForm(BaseForm):
    organisation_name = StringField(
        "Organisation name", [DataRequired(), Length(max=200)], filters=[strip]
    )
    organisation_type = SelectField(
        "Type of organisation", choices={t.value: t.label for t in OrganisationType},
        validators=[DataRequired()],
    )  # fmt: skip
    first_name = StringField("Your first name", [DataRequired(), Length(max=100)], filters=[strip])
    last_name = StringField("Your last name", [DataRequired(), Length(max=100)], filters=[strip])
    email = StringField(
        "Your email", [DataRequired(), Length(max=254), NormalisedEmail()], filters=[strip]
    )
    phone = StringField(
        "Your phone (optional)", [Optional(), Length(max=40), NormalisedPhone()], filters=[strip]
    )
    audience = SelectField("Audience", choices=AUDIENCE_CHOICES, validators=[DataRequired()])
    estimated_size = IntegerField(
        "About how many people?", [InputRequired(), NumberRange(1, 100_000)]
    )
    preferred_1 = when_field("First choice of date and time", required=True)
    preferred_2 = when_field("Second choice (optional)")
    preferred_3 = when_field("Third choice (optional)")
    place = TextAreaField(
        "Where", [DataRequired(), Length(max=1000)], filters=[strip],
        description="The address, or “online”.",
    )  # fmt: skip
    notes = TextAreaField("Anything else we should know?", [Optional(), Length(max=5000)])


class CancelEventForm(BaseForm):
    note = TextAreaField(
        "Message to the registrants (optional)", [Optional(), Length(max=2000)],
        filters=[strip],
        description="Sent with the cancellation, for example a new date or a reason.",
    )  # fmt: skip


class DeclineForm(BaseForm):
    message = TextAreaField(
        "Message to the requester", [DataRequired(), Length(max=5000)], filters=[strip]
    )


class AttendForm(BaseForm):
    guests_attended = IntegerField("Guests present", [Optional(), NumberRange(0, MAX_GUESTS)])


class WalkInForm(BaseForm):
    name = StringField("Name", [DataRequired(), Length(max=200)], filters=[strip])
    email = StringField(
        "Email (optional)", [Optional(), Length(max=254), NormalisedEmail()], filters=[strip]
    )
    guests = IntegerField("Guests", [Optional(), NumberRange(0, MAX_GUESTS)], default=0)


def headcount_form(event=None):
    """One number per audience, prefilled with the event's counts."""

    class HeadcountForm(BaseForm):
        pass

    current = {h.audience.value: h.count for h in (event.headcounts if event else [])}
    for audience in Audience:
        field = IntegerField(
            audience.label, [Optional(), NumberRange(0, 100_000)], default=current.get(audience)
        )
        setattr(HeadcountForm, audience.value, field)
    return HeadcountForm()


class EventFilterForm(BaseForm):
    class Meta:
        csrf = False  # a filter changes nothing

    type = SelectField("Type", coerce=str, validate_choice=False)
    audience = SelectField("Audience", choices={"": "Any", **AUDIENCE_CHOICES})
    format = SelectField(
        "Format", choices={"": "Any", "in_person": "In person", "online": "Online"}
    )
