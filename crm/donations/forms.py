"""Staff forms for gifts, campaigns and funds. Amounts are typed in major units ("25.50")."""

import re
from decimal import Decimal, InvalidOperation

from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from crm.donations.models import CampaignStatus, DonationStatus, PaymentMethod
from crm.forms import BaseForm, OptionalSelectField, strip
from crm.urls import MAX_ID

AMOUNT_PATTERN = re.compile(r"^\$?\s*\d{1,3}(,?\d{3})*(\.\d{1,2})?$|^\$?\s*\d+(\.\d{1,2})?$")


def parse_amount(text: str) -> int:
    """'1,234.50' -> 123450 (cents). Raises ValueError with a message for people."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValueError("Enter an amount.")
    if cleaned.startswith("-"):
        raise ValueError("The amount cannot be negative.")
    if not AMOUNT_PATTERN.match(cleaned):
        raise ValueError("Enter an amount like 25 or 25.50 (at most two decimals).")
    try:
        value = Decimal(cleaned.replace("$", "").replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValueError("Enter an amount like 25 or 25.50.") from exc
    return int(value * 100)


class AmountField(StringField):
    """A money amount in major units, available as `cents` after validation. Amounts are
    stored as whole cents in the database's integers: an amount beyond them is refused here,
    whatever the form (a filter's minimum too)."""

    cents: int | None = None

    def pre_validate(self, form):
        self.cents = None
        if self.data:
            try:
                cents = parse_amount(self.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc
            if abs(cents) > MAX_ID:
                raise ValidationError("That amount is too large.")
            self.cents = cents


class PositiveAmount:
    def __init__(self, maximum_cents: int = 100_000_000_00):
        self.maximum_cents = maximum_cents

    def __call__(self, form, field):
        if field.cents is not None and field.cents <= 0:
            raise ValidationError("The amount must be more than zero.")
        if field.cents is not None and field.cents > self.maximum_cents:
            raise ValidationError("That amount is too large.")


# Card gifts come through Stripe; "other or not recorded" is for imported gifts only: staff
# entering a gift know how it was given.
OFFLINE_METHODS = {m.value: m.label for m in PaymentMethod
                   if m not in (PaymentMethod.CARD, PaymentMethod.OTHER)}  # fmt: skip


class OfflineGiftForm(BaseForm):
    method = SelectField("How it was given", choices=OFFLINE_METHODS, validators=[DataRequired()])
    amount = AmountField("Amount", [DataRequired(), PositiveAmount()], description="e.g. 50.00")
    received_on = DateField("Date received", [InputRequired()])
    campaign = OptionalSelectField("Campaign")
    fund = OptionalSelectField("Fund")
    source = StringField("Source code", [Optional(), Length(max=60)], filters=[strip])
    cheque_number = StringField("Cheque number", [Optional(), Length(max=40)], filters=[strip])
    in_kind_description = TextAreaField(
        "What was given (in kind)", [Optional(), Length(max=500)], filters=[strip]
    )
    benefit = AmountField(
        "Fair market value of any benefit the donor received",
        [Optional()],
        description="For example a dinner ticket's value; it is not tax-deductible.",
    )
    comment = TextAreaField("Comment", [Optional(), Length(max=1000)], filters=[strip])


class DesignationForm(BaseForm):
    campaign = OptionalSelectField("Campaign")
    fund = OptionalSelectField("Fund")


class RefundForm(BaseForm):
    amount = AmountField("Amount to refund", [DataRequired(), PositiveAmount()])
    reason = StringField("Reason", [Optional(), Length(max=255)], filters=[strip])


class CampaignForm(BaseForm):
    name = StringField("Name", [DataRequired(), Length(max=160)], filters=[strip])
    slug = StringField(
        "Web address name",
        [
            DataRequired(),
            Length(max=80),
            Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Use lower-case letters, digits and dashes."
            ),
        ],
        filters=[strip],
        description="The giving page will be /give/<this name>",
    )
    goal = AmountField("Goal", [DataRequired(), PositiveAmount()])
    status = SelectField("Status", choices={s.value: s.value.capitalize() for s in CampaignStatus})
    starts_on = DateField("Starts on", [Optional()])
    ends_on = DateField("Ends on", [Optional()])
    default_fund = OptionalSelectField("Default fund")
    description = TextAreaField("Description", [Optional(), Length(max=5000)])

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("The end date is before the start date.")


class FundForm(BaseForm):
    name = StringField("Name", [DataRequired(), Length(max=120)], filters=[strip])
    description = TextAreaField("Description", [Optional(), Length(max=2000)])
    restricted = BooleanField("Restricted (may only be spent on its purpose)")
    active = BooleanField("Active", default=True)


class AppealForm(BaseForm):
    code = StringField(
        "Source code",
        [
            DataRequired(),
            Length(max=60),
            Regexp(r"^[A-Za-z0-9_-]+$", message="Letters, digits, dashes and underscores only."),
        ],
        filters=[strip],
        description="Used in giving links: /give/<campaign>?source=<code>",
    )
    name = StringField("Name", [DataRequired(), Length(max=160)], filters=[strip])
    campaign = OptionalSelectField("Campaign")


class PeriodForm(BaseForm):
    """Days from and to (inclusive, in the organisation's time zone); either may be open."""

    class Meta:
        csrf = False

    date_from = DateField("From", [Optional()])
    date_to = DateField("To", [Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")


class GiftFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField("Donor", [Optional(), Length(max=200)], filters=[strip])
    date_from = DateField("From", [Optional()])
    date_to = DateField("To", [Optional()])
    campaign = SelectField("Campaign", validate_choice=False)
    fund = SelectField("Fund", validate_choice=False)
    method = SelectField(
        "Method", choices={"": "Any", **{m.value: m.label for m in PaymentMethod}}, default=""
    )
    status = SelectField(
        "Status",
        choices={
            "": "Any",
            **{s.value: s.value.replace("_", " ").capitalize() for s in DonationStatus},
        },
        default="",
    )
    recurring = SelectField(
        "Kind", choices={"": "Any", "one_time": "One-time", "recurring": "Monthly"}, default=""
    )


class LinkContactForm(BaseForm):
    """Whose payment a Stripe event on the Needs attention list is."""

    contact = StringField(
        "Contact (number or email)",
        filters=[strip],
        validators=[DataRequired("Enter the contact's number or email."), Length(max=254)],
    )


class LinkGiftForm(BaseForm):
    """The gift a Stripe refund, dispute or charge is about."""

    gift = StringField(
        "Gift number",
        filters=[strip],
        validators=[
            DataRequired("Enter the gift's number."),
            Regexp(r"^#?\d{1,12}$", message="Enter the gift's number, like 1042."),
        ],
    )


class DismissForm(BaseForm):
    note = TextAreaField(
        "Why nothing is to be recorded",
        filters=[strip],
        validators=[DataRequired("Say why, for whoever looks later."), Length(max=1000)],
    )
