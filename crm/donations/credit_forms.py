"""Forms for soft credits, employers' matches, thanking and pledges."""

from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crm.donations.credit_models import AckMethod, SoftCreditRole
from crm.donations.forms import OFFLINE_METHODS, AmountField, PositiveAmount
from crm.donations.pledge_models import PledgeFrequency
from crm.forms import BaseForm, OptionalSelectField, strip

ACK_METHODS = {m.value: m.label for m in AckMethod}


class SoftCreditForm(BaseForm):
    person = StringField(
        "Who to credit", [DataRequired(), Length(max=200)], filters=[strip],
        description="A name, an email, a phone or a contact number like #123",
        render_kw={"list": "credit-people", "autocomplete": "off"},
    )  # fmt: skip
    role = SelectField(
        "Why", choices={r.value: r.label for r in SoftCreditRole if r.value != "matched"}
    )
    amount = AmountField("Amount credited", [Optional(), PositiveAmount()],
                         description="Leave empty to credit the whole gift")  # fmt: skip


class MatchForm(BaseForm):
    organisation = StringField(
        "Employer", [DataRequired(), Length(max=200)], filters=[strip],
        render_kw={"list": "employer-names", "autocomplete": "off"},
    )  # fmt: skip
    amount = AmountField("Amount of the match", [DataRequired(), PositiveAmount()])
    received_on = DateField("Date received", [InputRequired()])
    method = SelectField("How it came", choices=OFFLINE_METHODS)
    cheque_number = StringField("Cheque number", [Optional(), Length(max=40)], filters=[strip])


class ThankForm(BaseForm):
    method = SelectField("Thanked by", choices=ACK_METHODS, validators=[DataRequired()])
    note = StringField("Note", [Optional(), Length(max=500)], filters=[strip])


class BulkThankForm(ThankForm):
    # the view offers the gifts ticked that exist (a list of every gift would be too long)
    gifts = SelectMultipleField(
        "Gifts", coerce=int, choices=[],
        invalid_choice_message="some of the gifts ticked no longer exist; reload the list.",
    )  # fmt: skip


class ThankFilterForm(BaseForm):
    class Meta:
        csrf = False

    campaign = SelectField("Campaign", validate_choice=False)
    minimum = AmountField("Gifts of at least", [Optional()])


class PledgeForm(BaseForm):
    amount = AmountField("Amount pledged", [DataRequired(), PositiveAmount()])
    pledged_on = DateField("Pledged on", [InputRequired()])
    frequency = SelectField("Paid", choices={f.value: f.label for f in PledgeFrequency})
    instalments = IntegerField(
        "Number of payments", [InputRequired(), NumberRange(min=1, max=120)], default=1
    )
    first_due_on = DateField("First payment due on", [InputRequired()])
    campaign = OptionalSelectField("Campaign")  # the view fills the lists
    fund = OptionalSelectField("Fund")
    note = TextAreaField("Note", [Optional(), Length(max=500)], filters=[strip])

    def frequency_value(self) -> PledgeFrequency:
        return PledgeFrequency(self.frequency.data)


class ApplyPaymentForm(BaseForm):
    gift = SelectField("Gift", validators=[DataRequired()])  # the donor's gifts (view)
    amount = AmountField(
        "Amount to apply",
        [Optional(), PositiveAmount()],
        description="Leave empty to apply what the pledge still needs",
    )


class WriteOffForm(BaseForm):
    reason = TextAreaField("Why the rest will not come", [DataRequired(), Length(max=500)],
                           filters=[strip])  # fmt: skip


class PledgeFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices={
            "open": "Open",
            "fulfilled": "Fulfilled",
            "written_off": "Written off",
            "": "Any",
        },  # fmt: skip
        default="open",
    )
    campaign = SelectField("Campaign", validate_choice=False)
    overdue = SelectField("Payments", choices={"": "Any", "overdue": "Overdue"}, default="")
    sort = SelectField(
        "Sort by",
        choices={
            "next_due": "Next payment due",
            "newest": "Newest",
            "amount": "Largest",
        },  # fmt: skip
        default="next_due",
    )
