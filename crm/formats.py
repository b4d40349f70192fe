"""How dates, times, durations, months, numbers and counts read, everywhere: pages, emails,
PDFs and chart labels. One format per kind, from the organisation's locale (`LOCALE`) and
time zone (`ORG_TIMEZONE`) through Babel, so that a staff page, a public page and an email
never disagree. Each function is also a Jinja filter (crm/main/templating.py).

Moments (aware datetimes) are shown in the organisation's time zone, without its name: people
read the organisation's wall clock. Machine formats (CSV, iCalendar, <time datetime>) do not
come from here.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.dates import format_skeleton, get_timezone_name
from babel.dates import format_time as babel_time
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit
from flask import current_app, has_app_context

DEFAULT_LOCALE = "en_US"
DEFAULT_ZONE = "America/New_York"

# Date styles: Babel's named formats, or a CLDR skeleton the locale orders and punctuates.
DATE_STYLES = {
    "medium": "medium",  # Dec 4, 2026
    "long": "long",  # December 4, 2026
    "full": "full",  # Friday, December 4, 2026
    "weekday": "yMMMEd",  # Fri, Dec 4, 2026
    "short": "MMMd",  # Dec 4 (the year is clear from the context)
    "short_weekday": "MMMEd",  # Fri, Dec 4
    "month_day": "MMMMd",  # December 4
}
MONTH_STYLES = {"long": "yMMMM", "medium": "yMMM", "short": "MMM"}  # December 2026, Dec 2026, Dec


def check_locale(name: str) -> None:
    """Refuse to start with a LOCALE Babel does not know, rather than fail on the first page."""
    try:
        Locale.parse(name)
    except (ValueError, TypeError, UnknownLocaleError) as exc:
        raise RuntimeError(f"LOCALE {name!r} is not a locale (try en_US or en_GB)") from exc


def locale() -> Locale:
    name = current_app.config.get("LOCALE") if has_app_context() else None
    return Locale.parse(name or DEFAULT_LOCALE)


def zone() -> ZoneInfo:
    name = current_app.config.get("ORG_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_ZONE)


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(zone())
    return value


def _plain(text: str) -> str:
    # CLDR puts narrow and thin no-break spaces in times ("5:30\u202fPM") and ranges; plain
    # spaces keep emails, copied text and searches simple.
    return text.replace("\u202f", " ").replace("\u2009", " ")


def format_date(value: date | datetime | None, style: str = "medium") -> str:
    """'Dec 4, 2026' (medium), 'December 4, 2026' (long), 'Friday, December 4, 2026' (full),
    'Fri, Dec 4, 2026' (weekday), 'Dec 4' (short), 'Fri, Dec 4' (short_weekday)."""
    if value is None:
        return ""
    value = _local(value)
    pattern = DATE_STYLES[style]
    if pattern in ("medium", "long", "full"):
        return _plain(babel_date(value, pattern, locale=locale()))
    return _plain(format_skeleton(pattern, value, locale=locale()))


def format_time(value: datetime | None) -> str:
    """'5:30 PM' in en_US, '17:30' in en_GB."""
    if value is None:
        return ""
    return _plain(babel_time(_local(value), "short", locale=locale()))


def format_datetime(value: datetime | None, style: str = "medium") -> str:
    """A date in `style` and the time: 'Dec 4, 2026, 5:30 PM'."""
    if value is None:
        return ""
    pattern = locale().datetime_formats["medium"]  # "{1}, {0}": {1} the date, {0} the time
    return _plain(pattern.format(format_time(value), format_date(value, style)))


def format_month(value: date | datetime | str | None, style: str = "long") -> str:
    """'December 2026' (long), 'Dec 2026' (medium), 'Dec' (short); `value` may be a day in
    the month or its key '2026-12'."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.strptime(value, "%Y-%m").date()
    return _plain(format_skeleton(MONTH_STYLES[style], _local(value), locale=locale()))


def format_number(value: int | float | None) -> str:
    """'1,234' (digits grouped as the locale groups them)."""
    if value is None:
        return ""
    return format_decimal(value, locale=locale())


def format_duration(minutes: int | float | None, length: str = "short") -> str:
    """Whole hours and minutes: '3 hr, 25 min' (short), '3 hours, 25 minutes' (long).
    Never '3.42'."""
    if minutes is None:
        return ""
    total = round(minutes)
    hours, rest = divmod(abs(total), 60)
    parts = []
    if hours:
        parts.append(format_unit(hours, "duration-hour", length=length, locale=locale()))
    if rest or not hours:
        parts.append(format_unit(rest, "duration-minute", length=length, locale=locale()))
    text = format_list(parts, style="unit" if length == "long" else "unit-short", locale=locale())
    return _plain(("-" if total < 0 else "") + text)


def plural(count: int | None, singular: str, plural_form: str | None = None) -> str:
    """'1 seat', '2 seats', '1,200 people' (`plural(n, "person", "people")`): the number and
    the noun the locale's plural rule asks for."""
    count = count or 0
    word = singular if locale().plural_form(count) == "one" else (plural_form or singular + "s")
    return f"{format_number(count)} {word}"


def timezone_name() -> str:
    """The organisation's time zone as people say it ('Eastern Time'), for staff forms; public
    pages and emails show the wall clock alone."""
    return get_timezone_name(zone(), width="long", locale=locale())
