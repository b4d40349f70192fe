"""Parsing the values found in other systems' exports: dates in several formats (with an
explicit day/month order for 01/02/2024), amounts with currency signs and thousands
separators, yes/no flags and payment methods."""

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache

from babel import Locale

from crm.contacts.normalise import fold
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
_NUMERIC = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})[-/.](\d{2}|\d{4})(?:[ T].*)?$")
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


# A time after the day, with an optional am/pm and zone: "2024-03-05T10:55:59Z",
# "2024-03-05 10:55:59 +0000", "3/5/2024 10:55 AM", "Mar 5, 2024 10:55:59 PM".
_TIME = re.compile(
    r"^(?P<day>.+?\d)(?:t|[ ,]+)(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?\s*(?P<zone>z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?$"
)


def parse_date(raw: str, order: str = "", zone: tzinfo | None = None,
               assume: tzinfo | None = None) -> date:  # fmt: skip
    """2024-02-01, 20240201, 1 Feb 2024, Feb 1, 2024, 1.2.2024 and 01/02/2024; the last
    needs `order` ("dmy" or "mdy") unless one part is above 12. A time may follow; when it
    carries a zone (or `assume` says which zone the file's times are in), the day is the one
    in `zone` at that moment: 2024-03-05T02:00:00Z is the 4th in New York."""
    text = raw.strip().lower()
    if (m := _TIME.match(text)) and zone is not None:
        day = _parse_day(m["day"], order, raw)
        moment_zone = _zone(m["zone"]) if m["zone"] else assume
        if moment_zone is None:
            return day
        hour = int(m["h"])
        if m["ampm"]:
            if not 1 <= hour <= 12:
                raise ValueProblem(f"“{raw}” is not a date.")
            hour = hour % 12 + (12 if m["ampm"][0] == "p" else 0)
        try:
            moment = datetime(day.year, day.month, day.day, hour, int(m["m"]), int(m["s"] or 0),
                              tzinfo=moment_zone)  # fmt: skip
        except ValueError as exc:
            raise ValueProblem(f"“{raw}” is not a date.") from exc
        return moment.astimezone(zone).date()
    if m := _TIME.match(text):
        return _parse_day(m["day"], order, raw)
    return _parse_day(text, order, raw)


def _zone(text: str) -> tzinfo:
    if text in ("z", "utc", "gmt"):
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-offset if text[0] == "-" else offset)


def _parse_day(text: str, order: str, raw: str) -> date:
    if m := _ISO.match(text):
        return _make(int(m[1]), int(m[2]), int(m[3]), raw)
    if m := _COMPACT.match(text):
        return _make(int(m[1]), int(m[2]), int(m[3]), raw)
    if m := _TEXT_DMY.match(text):
        return _make(int(m[3]), _month(m[2], raw), int(m[1]), raw)
    if m := _TEXT_MDY.match(text):
        return _make(int(m[3]), _month(m[1], raw), int(m[2]), raw)
    if m := _NUMERIC.match(text):
        first, second, year = int(m[1]), int(m[3]), int(m[4])
        # Dates written with dots (05.03.2024, as German or Nordic spreadsheets save them)
        # start with the day wherever they are written; the chosen order still wins.
        if m[2] == "." and not order:
            order = "dmy"
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


_AMOUNT = re.compile(r"^\d{1,3}(?:[ ,.']\d{3})*(?:[.,]\d{1,2})?$|^\d+(?:[.,]\d{1,2})?$")


def parse_money(raw: str) -> int:
    """'$1,234.50', '1.234,50 €', '50', '-25.00', '($25.00)', '25.00-' -> signed cents. The
    last separator followed by one or two digits is the decimal point."""
    stripped = raw.strip().replace("\u2212", "-")  # a typographic minus sign
    negative = (
        stripped.startswith(("-", "("))
        or stripped.endswith("-")
        or bool(re.match(r"^[^\d]*-", stripped))
    )
    text = re.sub(r"[^\d.,' ]", "", stripped).strip()
    if not text or not _AMOUNT.match(text):
        raise ValueProblem(f"“{raw}” is not an amount.")
    whole, cents = text, "0"
    if m := re.search(r"[.,](\d{1,2})$", text):
        whole, cents = text[: m.start()], m[1].ljust(2, "0")
    value = int(re.sub(r"\D", "", whole) or "0") * 100 + int(cents)
    return -value if negative else value


def parse_amount_cents(raw: str) -> int:
    """A gift's amount: more than zero."""
    value = parse_money(raw)
    if value < 0:
        raise ValueProblem(f"“{raw}” is not a positive amount.")
    if value == 0:
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


_M = PaymentMethod
# The words donor systems and payment platforms write for how a gift was paid, compared in
# lower case with "_" and "-" read as spaces (Stripe's "us_bank_account", "apple_pay") and
# words written together read as the same words apart (Zeffy's "applePayOrGooglePay").
_METHOD_WORDS = {
    _M.CASH: ["cash", "currency", "coins"],
    _M.CHEQUE: ["check", "cheque", "chq", "personal check", "cashier s check", "cashiers check",
                "bank check", "certified check", "money order", "bank draft", "check payment",
                "paper check"],
    _M.CARD: ["card", "credit card", "debit card", "credit", "debit", "credit debit card",
              "credit debit", "cc", "visa", "mastercard", "master card", "mc", "amex",
              "american express", "discover", "diners", "diners club", "jcb", "unionpay",
              "maestro", "apple pay", "google pay", "gpay", "samsung pay", "link", "stripe",
              "card present", "online credit card", "credit card online", "online", "website",
              "web", "terminal", "card terminal", "tap to pay", "card reader", "wallet",
              "digital wallet"],
    _M.BANK_TRANSFER: ["bank transfer", "transfer", "ach", "ach debit", "ach credit",
                       "ach credit transfer", "us bank account", "bank account", "bank", "eft",
                       "electronic funds transfer", "wire", "wire transfer", "direct debit",
                       "direct deposit", "sepa", "sepa debit", "bacs", "bacs debit",
                       "acss debit", "au becs debit", "becs", "giro", "zelle", "interac",
                       "e transfer", "standing order", "bank deposit", "pad",
                       "pre authorized debit", "pre authorised debit", "bank debit",
                       "ueberweisung", "lastschrift"],
    _M.ONLINE: ["paypal", "pay pal", "venmo", "cash app", "cash app pay",
                "paypal giving fund", "ppgf", "givebutter", "donorbox", "zeffy", "benevity",
                "facebook", "facebook fundraiser", "amazon pay", "klarna", "afterpay"],
    _M.IN_KIND: ["in kind", "gift in kind", "stock", "securities", "non cash", "goods",
                 "services"],
    _M.OTHER: ["other", "none", "unknown", "not specified", "n a", "na"],
}  # fmt: skip
_METHODS = {word: method for method, words in _METHOD_WORDS.items() for word in words}
# The same words without spaces, for words written together ("creditcard"); "or" and "and"
# join alternatives ("applepayorgooglepay"), which name a method when they all name it.
_JOINED = {
    word.replace(" ", ""): method
    for word, method in _METHODS.items()
    if method is not _M.OTHER and len(word) > 2
}
_CONNECTORS = ("or", "and")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def plain_words(raw: str, joined: bool = False) -> str:
    """A cell's words in lower case, whatever separates them ("Credit_Card", "credit-card");
    with `joined`, also words written together in camel case ("creditCard")."""
    text = _CAMEL.sub(" ", raw.strip()) if joined else raw.strip()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _alternatives(text: str) -> set | None:
    """The methods of a run of method words written together, joined by "or"/"and" or by
    nothing ("applepayorgooglepay", "visamastercard"), or None when it is no such run."""
    found: dict[int, set] = {0: set()}  # position -> methods of a reading up to there
    for start in range(len(text)):
        if start not in found:
            continue
        for end in range(start + 1, len(text) + 1):
            piece = text[start:end]
            if piece in _JOINED:
                found.setdefault(end, set()).update(found[start] | {_JOINED[piece]})
            elif piece in _CONNECTORS and start:
                found.setdefault(end, set()).update(found[start])
    return found.get(len(text)) or None


def parse_method(raw: str) -> tuple[PaymentMethod, str | None]:
    """A method of payment, and the other system's own word for one that has no name here:
    that gift is imported as "other" and the word is kept. An empty cell is "other or not
    recorded", not cash."""
    text = plain_words(raw)
    if not text:
        return PaymentMethod.OTHER, None
    method = _METHODS.get(text) or _METHODS.get(plain_words(raw, joined=True))
    if method is None:
        methods = _alternatives(text.replace(" ", ""))
        method = methods.pop() if methods and len(methods) == 1 else None
    if method is None:
        return PaymentMethod.OTHER, " ".join(raw.split())
    return method, None


# Country names as people write them in the languages exports come in (CLDR's, through
# Babel), and the short forms no list has.
_COUNTRY_LANGUAGES = ("en", "fr", "de", "es", "it", "nl", "pt")
_COUNTRY_EXTRAS = {"usa": "US", "u s a": "US", "us": "US", "u s": "US", "america": "US",
                   "united states of america": "US", "uk": "GB", "u k": "GB", "england": "GB",
                   "scotland": "GB", "wales": "GB", "northern ireland": "GB",
                   "great britain": "GB"}  # fmt: skip


@cache
def _country_names() -> dict[str, str]:
    names = dict(_COUNTRY_EXTRAS)
    for language in _COUNTRY_LANGUAGES:
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(" ".join(re.sub(r"[^a-z0-9]+", " ", fold(name)).split()), code)
    return names


def country_code(raw: str) -> str | None:
    """The 2-letter code of a country written as a code or by its name in English, French,
    German, Spanish, Italian, Dutch or Portuguese ("Deutschland", "États-Unis"); or None."""
    key = " ".join(re.sub(r"[^a-z0-9]+", " ", fold(raw)).split())
    if key in _COUNTRY_EXTRAS:
        return _COUNTRY_EXTRAS[key]  # "UK" is no code: Great Britain's is GB
    if len(key) == 2 and key.upper() in _country_names().values():
        return key.upper()
    return _country_names().get(key)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12)
