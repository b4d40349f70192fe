"""One format for dates, times, durations, months, numbers and counts, from the locale."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from crm import formats

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# 22:30 UTC on 31 December 2026 is 5:30 PM in New York, the same day; 04:30 UTC on 1 January
# 2027 is still 31 December there.
EVENING = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)
AFTER_MIDNIGHT_UTC = datetime(2027, 1, 1, 4, 30, tzinfo=UTC)


@pytest.fixture
def locale(app, monkeypatch):
    def use(name: str, zone: str = "America/New_York"):
        monkeypatch.setitem(app.config, "LOCALE", name)
        monkeypatch.setitem(app.config, "ORG_TIMEZONE", zone)

    with app.app_context():
        yield use


def test_us_english(locale):
    locale("en_US")
    assert formats.format_date(EVENING) == "Dec 31, 2026"
    assert formats.format_date(EVENING, "long") == "December 31, 2026"
    assert formats.format_date(EVENING, "weekday") == "Thu, Dec 31, 2026"
    assert formats.format_date(date(2026, 3, 5), "short") == "Mar 5"
    assert formats.format_time(EVENING) == "5:30 PM"
    assert formats.format_datetime(EVENING) == "Dec 31, 2026, 5:30 PM"
    assert formats.format_datetime(EVENING, "full") == "Thursday, December 31, 2026, 5:30 PM"
    assert formats.format_month("2025-12") == "December 2025"
    assert formats.format_month(date(2025, 12, 9), "medium") == "Dec 2025"
    assert formats.format_number(1234567) == "1,234,567"


def test_british_english_reads_the_same_moments_its_own_way(locale):
    locale("en_GB", "Europe/London")
    assert formats.format_date(EVENING) == "31 Dec 2026"
    assert formats.format_time(EVENING) == "22:30"
    assert formats.format_datetime(AFTER_MIDNIGHT_UTC) == "1 Jan 2027, 04:30"
    assert formats.format_month("2025-12") == "December 2025"


def test_moments_are_shown_on_the_organisations_wall_clock(locale):
    locale("en_US")
    assert formats.format_date(AFTER_MIDNIGHT_UTC) == "Dec 31, 2026"
    assert formats.format_time(AFTER_MIDNIGHT_UTC) == "11:30 PM"
    assert formats.format_date(date(2027, 1, 1)) == "Jan 1, 2027"  # a day is not moved


@pytest.mark.parametrize(
    "minutes, short, long",
    [
        (205, "3 hr, 25 min", "3 hours, 25 minutes"),
        (60, "1 hr", "1 hour"),
        (1, "1 min", "1 minute"),
        (0, "0 min", "0 minutes"),
        (89.6, "1 hr, 30 min", "1 hour, 30 minutes"),
        (6000, "100 hr", "100 hours"),
    ],
)
def test_durations_are_hours_and_minutes_never_decimal_hours(locale, minutes, short, long):
    locale("en_US")
    assert formats.format_duration(minutes) == short
    assert formats.format_duration(minutes, "long") == long


def test_counts_take_the_noun_the_number_needs(locale):
    locale("en_US")
    assert formats.plural(1, "seat") == "1 seat"
    assert formats.plural(0, "seat") == "0 seats"
    assert formats.plural(2, "seat") == "2 seats"
    assert formats.plural(1200, "person", "people") == "1,200 people"


def test_an_unknown_locale_stops_the_start():
    from config import TestingConfig
    from crm import create_app

    with pytest.raises(RuntimeError, match="xx_NOPE"):
        create_app(type("Bad", (TestingConfig,), {"LOCALE": "xx_NOPE"}))


def test_templates_format_through_the_filters():
    """Every template and email formats moments with the filters (date, time, datetime,
    month, duration), never with strftime patterns of its own."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*")
        if path.is_file()
        for match in re.finditer(r"strftime\(|localtime\(|\"%g\"\|format", path.read_text())
    ]
    assert not offenders, offenders


def _extends(path: Path) -> Path | None:
    found = re.search(r'{%-?\s*extends\s+"([^"]+)"', path.read_text())
    return TEMPLATES / found.group(1) if found else None


def _is_public(path: Path) -> bool:
    while path is not None:
        if path.name == "public_base.html":
            return True
        path = _extends(path)
    return False


def test_public_pages_and_emails_name_no_time_zone():
    pages = [p for p in TEMPLATES.rglob("*.html") if _is_public(p)]
    emails = [p for p in TEMPLATES.rglob("*.*") if "email" in p.parts or p.suffix == ".txt"]
    assert len(pages) > 15 and len(emails) > 30
    named = [
        str(p.relative_to(TEMPLATES))
        for p in pages + emails
        if re.search(r"ORG_TIMEZONE|timezone_name", p.read_text())
    ]
    assert not named, named
