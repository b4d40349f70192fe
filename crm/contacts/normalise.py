"""Normal forms used for search and duplicate detection."""

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, accent-free, single-spaced text: 'José  Ñúñez' -> 'jose nunez'."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def normalise_email(value: str) -> str:
    """Return the address in its normal form or raise ValueError with a readable message."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


def email_key(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def normalise_phone(value: str, region: str) -> str:
    """Return the number in E.164 (+15551234567) or raise ValueError."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("This is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("This phone number is not valid.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164  # written by an import or a script without normalising: show it as is
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def postcode_key(value: str | None) -> str | None:
    return re.sub(r"[^0-9A-Z]", "", value.upper()) or None if value else None


def phone_digits(query: str) -> str:
    return re.sub(r"\D", "", query)
