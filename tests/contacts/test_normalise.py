"""The normal forms behind search, duplicate detection and CSV export. No database needed."""

import pytest

from crm.contacts.normalise import (
    email_key,
    fold,
    format_phone,
    normalise_email,
    normalise_phone,
    phone_digits,
    postcode_key,
)
from crm.csvutil import neutralise


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("José  Núñez", "jose nunez"),
        ("NUNEZ", "nunez"),
        ("  Chloé\tDubois \n", "chloe dubois"),
        ("Straße", "strasse"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold_drops_case_accents_and_extra_spaces(text, folded):
    assert fold(text) == folded


def test_fold_treats_composed_and_decomposed_accents_alike():
    assert fold("Jos\u00e9") == fold("Jose\u0301") == "jose"


def test_email_is_stored_in_the_validators_normal_form():
    assert normalise_email("  Jose.Nunez@EXAMPLE.org ") == "Jose.Nunez@example.org"


@pytest.mark.parametrize("bad", ["jose", "jose@", "@example.org", "jose@localhost", "a b@x.org"])
def test_invalid_email_raises_a_readable_error(bad):
    with pytest.raises(ValueError, match=r"\w"):
        normalise_email(bad)


def test_email_key_ignores_case_and_surrounding_spaces():
    assert email_key(" Jose@Example.ORG ") == email_key("jose@example.org") == "jose@example.org"
    assert email_key(None) is None
    assert email_key("") is None


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("202-555-0143", "US", "+12025550143"),
        ("(202) 555 0143", "US", "+12025550143"),
        ("+1 202.555.0143", "US", "+12025550143"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
    ],
)
def test_phone_is_normalised_to_e164(typed, region, e164):
    assert normalise_phone(typed, region) == e164


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("call me", "not a phone number"),
        ("555-1234", "not valid"),
        ("12", "not valid"),
    ],
)
def test_invalid_phone_raises_a_readable_error(bad, message):
    with pytest.raises(ValueError, match=message):
        normalise_phone(bad, "US")


def test_phone_is_displayed_in_international_format():
    assert format_phone("+12025550143") == "+1 202-555-0143"
    assert format_phone(None) == ""


def test_a_phone_that_is_not_e164_is_displayed_as_stored():
    # rows written by imports or scripts may hold anything; the list page must still render
    assert format_phone("call the office") == "call the office"


@pytest.mark.parametrize(
    ("postcode", "key"),
    [("sw1a 1aa", "SW1A1AA"), ("SW1A1AA", "SW1A1AA"), (" 10001-2345 ", "100012345")],
)
def test_postcode_key_ignores_spaces_case_and_punctuation(postcode, key):
    assert postcode_key(postcode) == key


@pytest.mark.parametrize("empty", [None, "", "  ", "-"])
def test_postcode_key_of_nothing_is_none(empty):
    assert postcode_key(empty) is None


def test_phone_digits_keeps_only_digits():
    assert phone_digits("+1 (202) 555-0143") == "12025550143"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("=1", "'=1"),
        ("\t=1", "'\t=1"),
        ("+1 555 0100 ext 4", "'+1 555 0100 ext 4"),
        ("+", "'+"),
        # phones and negative numbers hold nothing a spreadsheet could run: left as they are
        ("+12025550143", "+12025550143"),
        ("+1 (202) 555-0143", "+1 (202) 555-0143"),
        ("+44 20.7946.0958", "+44 20.7946.0958"),
        ("-12.50", "-12.50"),
        ("-3", "-3"),
        ("Núñez", "Núñez"),
        ("a=b", "a=b"),
        (None, ""),
        (True, "yes"),
        (False, "no"),
        (42, "42"),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(value, cell):
    assert neutralise(value) == cell
