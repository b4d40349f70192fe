from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crm.dataio.csvfile import DELIMITERS, ENCODINGS
from crm.dataio.models import ConsentMethod, ImportKind
from crm.dataio.values import DATE_ORDERS
from crm.forms import BaseForm, strip
from crm.urls import MAX_ID


class UploadForm(BaseForm):
    kind = SelectField("What the file holds", choices={k.value: k.label for k in ImportKind})
    file = FileField("CSV file", [FileRequired("Choose a CSV file.")],
                     description="Comma, semicolon or tab separated; UTF-8, Windows-1252 or "
                     "Latin-1. Save spreadsheets as CSV first.")  # fmt: skip
    encoding = SelectField("Encoding", choices={"auto": "Find out", **ENCODINGS})
    delimiter = SelectField(
        "Columns separated by",
        choices={"auto": "Find out", **{k: v.capitalize() for k, v in DELIMITERS.items()}},
    )


class OptionsForm(BaseForm):
    date_order = SelectField("Dates like 01/02/2024", choices=dict(DATE_ORDERS))
    system = StringField(
        "Name of the other system", [Optional(), Length(max=60)], filters=[strip],
        description="Ids and transaction ids are kept under this name, so that files from "
        "the same system find the same people and gifts again.",
    )  # fmt: skip


CONSENT_TOPICS = {
    "email_updates": "Email updates and newsletters",
    "photos": "Photos and stories used in publicity",
    "data_processing": "Keeping their data (volunteers, attendees)",
    "phone_calls": "Phone calls",
    # One per email topic (crm.outreach.models.Topic); the preference page records these too.
    "email_newsletter": "Email: newsletter",
    "email_appeals": "Email: appeals for support",
    "email_events": "Email: events and trainings",
    "email_volunteering": "Email: volunteering opportunities",
}


class ConsentForm(BaseForm):
    topic = SelectField("Consent to", choices=dict(CONSENT_TOPICS))
    granted = RadioField("Given or withdrawn", choices={"yes": "Given", "no": "Withdrawn"},
                         validators=[DataRequired("Choose given or withdrawn.")])  # fmt: skip
    method = SelectField("How", choices={m.value: m.label for m in ConsentMethod})
    given_on = DateField("When", [DataRequired("Enter the date.")])
    note = StringField("Note", [Optional(), Length(max=500)], filters=[strip],
                       description="For example, which form or who took the call.")  # fmt: skip


class EraseForm(BaseForm):
    confirm = StringField("Type ERASE to confirm", [DataRequired("Type ERASE to confirm.")],
                          filters=[strip])  # fmt: skip
    reason = SelectField("Why", choices={"request": "The person asked",
                                         "retention": "We no longer need the data",
                                         "other": "Other"})  # fmt: skip

    def validate_confirm(self, field):
        from wtforms.validators import ValidationError

        if field.data != "ERASE":
            raise ValidationError("Type ERASE in capitals to confirm.")


class LinkRefundForm(BaseForm):
    gift = IntegerField(
        "Gift it refunds",
        [DataRequired("Choose the gift, or enter its number."),
         NumberRange(min=1, max=MAX_ID, message="No gift has that number.")],
    )  # fmt: skip
