"""The contacts' normal forms, computed fast for the shapes that make up nearly every row of
a large file, and by the contacts package's own functions for everything else. The results
are the same: the fast paths only skip work whose outcome is already known."""

import re
from functools import lru_cache

from crm.contacts.normalise import fold as _fold
from crm.contacts.normalise import normalise_email, normalise_phone
from crm.contacts.normalise import postcode_key as _postcode_key

# An ASCII dot-atom local part (RFC 5322), the common case; anything else goes the long way.
_SIMPLE_EMAIL = re.compile(
    r"^([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@([A-Za-z0-9.-]+)$"
)
_NANP = {"US", "CA"}
_PHONE_CHARS = re.compile(r"^\+?1?[\s().-]*(?:\d[\s().-]*){10}$")


@lru_cache(maxsize=4096)
def _domain(domain: str) -> str | None:
    """The normalised domain if an address there is valid, else None (cached: a file has few
    domains and many people)."""
    try:
        return normalise_email(f"a@{domain}").split("@", 1)[1]
    except ValueError:
        return None


def email(value: str) -> str:
    """Like normalise_email: the same address, or ValueError for the same values."""
    value = value.strip()
    if value.count("@") != 1:  # no address has none, and only a quoted one (refused) has two
        raise ValueError("An email address has one @-sign.")
    m = _SIMPLE_EMAIL.match(value)
    if m and len(m[1]) <= 64 and len(value) <= 254:
        domain = _domain(m[2])
        if domain is not None:
            return f"{m[1]}@{domain}"
    return normalise_email(value)


_prefix_valid: dict[tuple[str, str], bool] = {}


def _nanp_valid(region: str, digits: str) -> bool:
    key = (region, digits[:6])
    if key not in _prefix_valid:
        if len(_prefix_valid) > 100_000:
            _prefix_valid.clear()
        try:
            normalise_phone("+1" + digits, region)
            _prefix_valid[key] = True
        except ValueError:
            _prefix_valid[key] = False
    return _prefix_valid[key]


def phone(value: str, region: str) -> str:
    """Like normalise_phone. In North America the validity of a ten-digit number is decided by
    its first six digits (area code and exchange), so it is looked up once per prefix."""
    stripped = value.strip()
    if region in _NANP and _PHONE_CHARS.match(stripped):
        digits = re.sub(r"\D", "", stripped)
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
        elif stripped.startswith("+") or len(digits) != 10:
            digits = ""  # "+" and ten digits is another country's code
        if digits and _nanp_valid(region, digits):
            return "+1" + digits
    return normalise_phone(value, region)


@lru_cache(maxsize=1 << 16)
def _fold_cached(text: str) -> str:
    return _fold(text)


def fold(text: str | None) -> str:
    """Like contacts.normalise.fold; plain ASCII needs no Unicode decomposition, and other
    text is remembered (a file has many people and far fewer distinct names)."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(text.lower().split())
    return _fold_cached(text) if len(text) <= 100 else _fold(text)


def fold_join(*parts: str | None) -> str:
    """fold(" ".join(parts)), folded part by part: folding never joins or splits words across
    a space, so each name is folded once however many rows carry it."""
    return " ".join(folded for part in parts if part and (folded := fold(part)))


def postcode_key(value: str | None) -> str | None:
    """Like contacts.normalise.postcode_key."""
    if value and value.isascii() and value.isalnum():
        return value.upper()
    return _postcode_key(value)
