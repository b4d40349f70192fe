"""Parsing the values found in other systems' exports: dates in several formats (with an
explicit day/month order for 01/02/2024), amounts with currency signs and thousands
separators, yes/no flags and payment methods."""

import re
from datetime import date, datetime

from crm.donations.models import PaymentMethod


class ValueProblem(ValueError):
    """A cell that cannot be read; the message names the value."""


class AmbiguousDate(ValueProblem):
    """A date such as 01/02/2024 that reads as two different days."""


DATE_ORDERS = {"": "Ask me (refuse ambiguous dates)", "dmy": "Day first (31/12/2024)",
               "mdy": "Month first (12/31/2024)"}  # fmt: skip
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T].*)?$")
_TEXT_DMY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[- ]([a-z]{3,9})\.?,?[- ](\d{4})$")
_TEXT_MDY = re.compile(r"^([a-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")


def _make(year: int, month: int, day: int, raw: str) -> date:
    if year < 100:
        year += 2000 if year < 70 else 1900
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueProblem(f"“{raw}” is not a date.") from exc


def _month(name: str, raw: str) -> int:
    month = _MONTHS.get(name[:3])
    if month is None:
        raise ValueProblem(f"“{raw}” is not a date.")
    return month


def parse_date(raw: str, order: str = "") -> date:
    """2024-02-01, 20240201, 1 Feb 2024, Feb 1, 2024, 1.2.2024 and 01/02/2024; the last
    needs `order` ("dmy" or "mdy") unless one part is above 12."""
    text = raw.strip().lower()
    if m := _ISO.match(text):
        return _make(int(m[1]), int(m[2]), int(m[3]), raw)
    if m := _COMPACT.match(text):
        return _make(int(m[1]), int(m[2]), int(m[3]), raw)
    if m := _TEXT_DMY.match(text):
        return _make(int(m[3]), _month(m[2], raw), int(m[1]), raw)
    if m := _TEXT_MDY.match(text):
        return _make(int(m[3]), _month(m[1], raw), int(m[2]), raw)
    if m := _NUMERIC.match(text):
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        if first > 12 or (order == "dmy" and second <= 12):
            return _make(year, second, first, raw)
        if second > 12 or order == "mdy" or first == second:
            return _make(year, first, second, raw)
        raise AmbiguousDate(
            f"“{raw}” could be {first} {_name(second)} or {second} {_name(first)}: choose "
            "whether dates start with the day or the month."
        )
    raise ValueProblem(f"“{raw}” is not a date.")


def _name(month: int) -> str:
    return ["January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"][month - 1]  # fmt: skip


def is_ambiguous(raw: str) -> bool:
    m = _NUMERIC.match(raw.strip())
    return bool(m) and int(m[1]) <= 12 and int(m[2]) <= 12 and m[1] != m[2]


_AMOUNT = re.compile(r"^\d{1,3}(?:[ ,.']\d{3})*(?:[.,]\d{1,2})?$|^\d+(?:[.,]\d{1,2})?$")


def parse_amount_cents(raw: str) -> int:
    """'$1,234.50', '1.234,50 €', '50' -> cents. The last separator followed by one or two
    digits is the decimal point."""
    text = re.sub(r"[^\d.,' ]", "", raw).strip()
    if raw.strip().startswith("-") or raw.strip().startswith("("):
        raise ValueProblem(f"“{raw}” is not a positive amount.")
    if not text or not _AMOUNT.match(text):
        raise ValueProblem(f"“{raw}” is not an amount.")
    whole, cents = text, "0"
    if m := re.search(r"[.,](\d{1,2})$", text):
        whole, cents = text[: m.start()], m[1].ljust(2, "0")
    value = int(re.sub(r"\D", "", whole) or "0") * 100 + int(cents)
    if value <= 0:
        raise ValueProblem(f"“{raw}” is not more than zero.")
    return value


_YES = {"yes", "y", "true", "t", "1", "x", "opt in", "opted in", "subscribed", "oui", "ja", "si"}
_NO = {"no", "n", "false", "f", "0", "", "opt out", "opted out", "unsubscribed", "non", "nein"}


def parse_bool(raw: str) -> bool:
    text = raw.strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueProblem(f"“{raw}” is neither yes nor no.")


_METHODS = {
    "cash": PaymentMethod.CASH,
    "check": PaymentMethod.CHEQUE, "cheque": PaymentMethod.CHEQUE, "chq": PaymentMethod.CHEQUE,
    "card": PaymentMethod.CARD, "credit card": PaymentMethod.CARD, "credit": PaymentMethod.CARD,
    "visa": PaymentMethod.CARD, "mastercard": PaymentMethod.CARD, "amex": PaymentMethod.CARD,
    "stripe": PaymentMethod.CARD, "paypal": PaymentMethod.CARD, "online": PaymentMethod.CARD,
    "bank transfer": PaymentMethod.BANK_TRANSFER, "transfer": PaymentMethod.BANK_TRANSFER,
    "ach": PaymentMethod.BANK_TRANSFER, "eft": PaymentMethod.BANK_TRANSFER,
    "wire": PaymentMethod.BANK_TRANSFER, "direct debit": PaymentMethod.BANK_TRANSFER,
    "bank": PaymentMethod.BANK_TRANSFER, "in kind": PaymentMethod.IN_KIND,
    "in-kind": PaymentMethod.IN_KIND, "inkind": PaymentMethod.IN_KIND,
    "gift in kind": PaymentMethod.IN_KIND, "stock": PaymentMethod.IN_KIND,
}  # fmt: skip


def parse_method(raw: str) -> PaymentMethod:
    text = re.sub(r"[_\s]+", " ", raw.strip().lower())
    if not text:
        return PaymentMethod.CASH
    method = _METHODS.get(text)
    if method is None:
        raise ValueProblem(f"“{raw}” is not a payment method we know (cash, cheque, card, "
                           "bank transfer, in kind).")  # fmt: skip
    return method


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12)
