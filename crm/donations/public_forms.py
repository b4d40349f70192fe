"""The public giving form. Everything the browser sends is checked here; the amount Stripe
charges is computed on the server from what passes."""

import re
from decimal import Decimal

from flask import current_app
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from crm.contacts.forms import NormalisedEmail
from crm.donations.models import Campaign, DonationIntent, Frequency
from crm.donations.services import fee_to_cover
from crm.forms import BaseForm, strip
from crm.payments.money import format_money, minor_exponent

OTHER = "other"
TRIBUTES = {"honour": "In honour of someone", "memory": "In memory of someone"}
SOURCE_MAX = 60  # DonationIntent.source
SOURCE_PATTERN = re.compile(r"[A-Za-z0-9._:-]*")
TAMPERED = "This form was changed after it left our site. Check it and send it again."

# "25", "25.5", "1000", "1,000.00": digits, optional thousands commas, optional decimals.
_NUMBER = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]*))?", re.ASCII)


class AmountError(ValueError):
    """An amount a donor typed that we cannot use; the message says why."""


def parse_amount(text: str | None, currency: str) -> int:
    """Minor units for an amount typed in major units ("$1,000.50" -> 100050)."""
    cleaned = (text or "").strip().replace("$", "").replace(" ", "")
    if not cleaned:
        raise AmountError("Enter an amount.")
    if len(cleaned) > 20:
        raise AmountError("Enter the amount in numbers, for example 25 or 25.50.")
    if cleaned.startswith("-"):
        raise AmountError("Enter an amount above zero.")
    match = _NUMBER.fullmatch(cleaned)
    if match is None:
        raise AmountError("Enter the amount in numbers, for example 25 or 25.50.")
    exponent = minor_exponent(currency)
    if len(match.group(1) or "") > exponent:
        if exponent == 0:
            raise AmountError("Enter a whole amount, without decimals.")
        raise AmountError(f"Use at most {exponent} decimal places, for example 25.50.")
    return int(Decimal(cleaned.replace(",", "")).scaleb(exponent))


def display_money(minor_units: int, currency: str) -> str:
    """'$25' for a whole amount, '$25.50' otherwise: preset buttons read better short."""
    text = format_money(minor_units, currency)
    exponent = minor_exponent(currency)
    if exponent and minor_units % 10**exponent == 0:
        return re.sub(r"[.,]0+(?=\D*$)", "", text)
    return text


def check_limits(amount_cents: int, currency: str) -> None:
    config = current_app.config
    if amount_cents < config["GIFT_MIN_CENTS"]:
        smallest = display_money(config["GIFT_MIN_CENTS"], currency)
        raise AmountError(f"The smallest gift we can take online is {smallest}.")
    if amount_cents > config["GIFT_MAX_CENTS"]:
        largest = display_money(config["GIFT_MAX_CENTS"], currency)
        raise AmountError(
            f"The largest gift we can take online is {largest}. "
            "For a larger gift, please contact us."
        )


class RadioChoice(RadioField):
    """Radio buttons whose unknown values (only a tampered form sends them) get a message
    that says so, instead of WTForms' "Not a valid choice"."""

    def __init__(self, label=None, validators=None, invalid=TAMPERED, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form):
        if self.data in (None, ""):
            return
        if self.data not in self.choices:  # a dict: value -> label
            self.data = self.default
            raise ValidationError(self.invalid)


class GiveForm(BaseForm):
    campaign = HiddenField()
    source = HiddenField(filters=[strip])
    amount = RadioChoice(
        "Amount", invalid="Choose one of the amounts shown, or enter another amount."
    )
    other_amount = StringField("Other amount", filters=[strip])
    frequency = RadioChoice(
        "How often",
        choices={Frequency.ONE_TIME.value: "One time", Frequency.MONTHLY.value: "Monthly"},
        default=Frequency.ONE_TIME.value,
        invalid="Choose one time or monthly.",
    )
    cover_fee = BooleanField("Add the card processing fee to my gift")
    first_name = StringField("First name", [DataRequired(), Length(max=100)], filters=[strip])
    last_name = StringField("Last name", [DataRequired(), Length(max=100)], filters=[strip])
    email = StringField(
        "Email", [DataRequired(), Length(max=254), NormalisedEmail()], filters=[strip]
    )
    tribute_type = RadioChoice(
        "Dedicate this gift",
        choices={"": "No dedication", **TRIBUTES},
        default="",
        invalid="Choose in honour, in memory, or no dedication.",
    )
    tribute_name = StringField("Their name", [Length(max=200)], filters=[strip])
    tribute_notify_email = StringField(
        "Their email (optional)",
        [Optional(), Length(max=254), NormalisedEmail()],
        filters=[strip],
        description="We will email them to say a gift was made in their name (not the amount).",
    )
    anonymous = BooleanField("Don't show my name publicly")
    comment = TextAreaField("Comment (optional)", [Optional(), Length(max=1000)], filters=[strip])

    def __init__(self, campaign: Campaign, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = campaign.currency
        self.slug = campaign.slug
        self.amount.choices = {
            **{str(cents): display_money(cents, self.currency) for cents in self.presets},
            OTHER: "Other",
        }
        self.amount_cents: int | None = None

    @property
    def presets(self) -> list[int]:
        return current_app.config["GIFT_PRESETS_CENTS"]

    def fee_help(self) -> str:
        """What covering the fee adds to each preset, computed here so no script is needed."""
        added = [
            (format_money(fee_to_cover(cents), self.currency), display_money(cents, self.currency))
            for cents in self.presets
        ]
        parts = [f"{fee} to a {gift} gift" if i == 0 else f"{fee} to {gift}"
                 for i, (fee, gift) in enumerate(added)]  # fmt: skip
        listed = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else "".join(parts)
        return (
            f"So that all of your gift reaches our work. It adds {listed}; "
            "Stripe shows the exact total before you pay."
        )

    # --- the hidden fields: a mismatch means the page was altered -------------------------

    def validate_campaign(self, field):
        if field.data != self.slug:
            field.data = self.slug
            raise ValidationError(TAMPERED)

    def validate_source(self, field):
        if field.data and (
            len(field.data) > SOURCE_MAX or not SOURCE_PATTERN.fullmatch(field.data)
        ):
            field.data = ""
            raise ValidationError(TAMPERED)

    # --- amount and dedication ----------------------------------------------------------

    def validate_other_amount(self, field):
        if self.amount.errors:
            return
        choice = self.amount.data
        if choice not in (None, "", OTHER):
            if field.data:
                raise ValidationError(
                    "You also chose a set amount. Pick “Other” to give what you typed, "
                    "or empty this box."
                )
            if choice.isdigit() and int(choice) in self.presets:
                self.amount_cents = int(choice)
            return
        if not field.data:
            if choice == OTHER:
                raise ValidationError("Enter the amount you want to give.")
            self.amount.errors.append("Choose an amount or enter another amount.")
            return
        try:
            cents = parse_amount(field.data, self.currency)
            check_limits(cents, self.currency)
        except AmountError as exc:
            raise ValidationError(str(exc)) from exc
        self.amount_cents = cents

    def validate_tribute_name(self, field):
        if self.tribute_type.data and not field.data:
            raise ValidationError("Enter the name of the person this gift honours or remembers.")
        if not self.tribute_type.data and field.data:
            raise ValidationError("Choose “In honour” or “In memory”, or leave the name empty.")

    def validate_tribute_notify_email(self, field):
        if field.data and not self.tribute_type.data:
            raise ValidationError("Choose “In honour” or “In memory” to notify someone.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return valid and not self.amount.errors and self.amount_cents is not None

    # --- in and out ---------------------------------------------------------------------

    def intent_data(self) -> dict:
        """The fields of a DonationIntent, from a form that validated."""
        tribute = self.tribute_type.data or None
        return {
            "frequency": Frequency(self.frequency.data),
            "amount_cents": self.amount_cents,
            "cover_fee": self.cover_fee.data,
            "first_name": self.first_name.data,
            "last_name": self.last_name.data,
            "email": self.email.data,
            "anonymous": self.anonymous.data,
            "tribute_type": tribute,
            "tribute_name": self.tribute_name.data if tribute else None,
            "tribute_notify_email": (self.tribute_notify_email.data or None) if tribute else None,
            "comment": self.comment.data or None,
            "source": self.source.data or None,
        }

    def fill_from(self, intent: DonationIntent) -> None:
        """Put a stored gift back in the form: the donor came back from Stripe's page."""
        preset = intent.amount_cents in self.presets
        self.amount.data = str(intent.amount_cents) if preset else OTHER
        self.other_amount.data = "" if preset else self._typed(intent.amount_cents)
        self.frequency.data = intent.frequency.value
        self.cover_fee.data = intent.covered_fee_cents > 0
        for name in ("first_name", "last_name", "email", "tribute_name",
                     "tribute_notify_email", "comment", "source"):  # fmt: skip
            getattr(self, name).data = getattr(intent, name) or ""
        self.tribute_type.data = intent.tribute_type or ""
        self.anonymous.data = intent.anonymous

    def _typed(self, minor_units: int) -> str:
        exponent = minor_exponent(self.currency)
        value = Decimal(minor_units).scaleb(-exponent)
        return f"{value:.{exponent}f}".removesuffix(".00")

    def keep_source(self, source: str | None) -> None:
        """Carry `?source=` from the link into the form; an unusable one is dropped quietly
        (the donor did nothing wrong)."""
        if source and len(source) <= SOURCE_MAX and SOURCE_PATTERN.fullmatch(source):
            self.source.data = source
