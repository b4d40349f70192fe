"""Column suggestions from header names: the qualifiers, possessives, punctuation and
numbering of other systems' exports are read past; columns nobody would map stay unmapped."""

import pytest

from crm.dataio.fields import mapping_problems
from crm.dataio.models import ImportKind
from crm.dataio.suggest import suggest


def one(kind: ImportKind, header: str) -> str | None:
    return suggest(kind, [header]).get("0")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Contact1 First Name", "first_name"),
        ("Contact 1 Last Name", "last_name"),
        ("Donor's First Name", "first_name"),
        ("Donor’s Email", "email"),
        ("Pref. Phone", "phone"),
        ("PRIMARY_EMAIL_ADDRESS", "email"),
        ("Address 1 - Street", "address_line1"),
        ("Address 1 - ZIP", "postcode"),
        ("Mailing Street", "address_line1"),
        ("Supplemental Address 1", "address_line2"),
        ("LGL Constituent ID", "external_id"),
        ("Givebutter Contact ID", "external_id"),
        ("Date of Birth", "birth_date"),
        ("Note(s)", "notes"),
        ("Current Employer", "organisation"),
        ("Account Name", "organisation"),
        ("Contact Type", "contact_type"),
        ("Email (Primary)", "email"),
        ("Pref. Postal code", "postcode"),
        ("Informal Name", "preferred_name"),
        ("Is Org", "contact_type"),
        ("Primary Affiliation", "organisation"),
        ("Postal/Zip Code", "postcode"),
        ("Mobile Phone Number", "phone"),
        ("Spouse Name", None),
        ("Created date (UTC)", None),
        ("Date Created (UTC)", None),
        ("Email Opt Out", None),  # the opposite of an opt-in
        ("Do Not Call", None),  # not the same as do not contact
        ("MEMBER_RATING", None),
        ("Additional Emails", None),
        ("Sort Name", None),
    ],
)
def test_contact_headers(header, field):
    assert one(ImportKind.CONTACTS, header) == field


def test_mailchimp_location_columns_are_not_the_address():
    headers = ["Email Address", "REGION", "CC", "MEMBER_RATING", "LEID"]
    assert suggest(ImportKind.CONTACTS, headers) == {"0": "email"}
    # In a file of another system, "Region" is the state.
    assert suggest(ImportKind.CONTACTS, ["Email", "Region"]) == {"0": "email", "1": "region"}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Type", "row_kind"),  # a gift, a refund or a pledge: not how it was paid
        ("Notes", "comment"),
        ("Contact Type", None),  # not "Type" with a qualifier in front
        ("Account Name", None),
        ("Donor's First Name", "first_name"),
        ("Donor Email", "email"),
        ("Primary Campaign Source", "campaign"),
        ("Name", "full_name"),  # the donor's name, split as contacts' are
    ],
)
def test_gift_headers_keep_their_meaning(header, field):
    assert one(ImportKind.GIFTS, header) == field


def test_a_contact_file_needs_a_name_an_email_or_an_organisation():
    assert mapping_problems(ImportKind.CONTACTS, {"0": "email"}) == []
    assert mapping_problems(ImportKind.CONTACTS, {"0": "organisation"}) == []
    [problem] = mapping_problems(ImportKind.CONTACTS, {"0": "city"})
    assert problem.startswith("Choose the column with the names")


GIFTS = ImportKind.GIFTS


def columns(*values: str) -> list[list[str]]:
    """Columns of cells from rows written as "a|b|c" (one string per row)."""
    rows = [v.split("|") for v in values]
    return [list(cells) for cells in zip(*rows, strict=True)]


def test_an_empty_column_is_never_suggested():
    headers = ["Stripe Charge Id", "Receipt Id", "Amount", "Date", "Email"]
    cells = columns("|R-1|5|2024-01-01|a@example.org", "|R-2|6|2024-01-02|b@example.org")
    assert suggest(GIFTS, headers, cells) == {"1": "transaction_id", "2": "amount", "3": "date",
                                              "4": "email"}  # fmt: skip


def test_values_that_cannot_be_the_field_keep_a_column_from_it():
    headers = ["Date", "Created", "Amount", "Total", "Email"]
    cells = columns("yes|2024-03-01|two|20.00|Y", "no|2024-03-02|three|30.00|N")
    assert suggest(GIFTS, headers, cells) == {"1": "date", "3": "amount"}


@pytest.mark.parametrize(("headers", "field"), [
    (["Created Date", "Date Received"], ("1", "date")),  # the contact's creation stands first
    (["Date", "Gift Date"], ("1", "date")),
    (["Modified Date", "Date"], ("1", "date")),
    (["Contact Created Date"], None),  # the contact's, never the gift's
    (["Payment Date (America/New_York)"], ("0", "date")),
])  # fmt: skip
def test_the_header_that_names_the_date_more_exactly_wins(headers, field):
    cells = [["2024-03-01", "2024-03-02"] for _ in headers]
    assert list(suggest(GIFTS, headers, cells).items()) == ([field] if field else [])


def test_the_transaction_id_is_the_column_with_a_value_in_every_row():
    headers = ["Transaction ID", "Contribution ID", "Amount"]
    cells = columns("txn_1|3001|5", "|3002|6", "txn_3|3003|7")
    assert suggest(GIFTS, headers, cells)["1"] == "transaction_id"
    # an id repeated in most rows is the donor's, not the payment's
    cells = columns("D-1|5", "D-1|6", "D-1|7", "D-1|8", "D-2|9")
    assert "0" not in suggest(GIFTS, ["Id", "Amount"], cells)


def test_amounts_in_brackets_and_units():
    assert suggest(GIFTS, ["Amount (USD)", "Date"]) == {"0": "amount", "1": "date"}


@pytest.mark.parametrize(("headers", "index"), [
    (["Mobile", "Phone"], "1"), (["Work Email", "Email"], "1"), (["Email", "Work Email"], "0"),
])  # fmt: skip
def test_a_plain_contact_header_wins_over_a_variant_wherever_it_stands(headers, index):
    assert index in suggest(ImportKind.CONTACTS, headers)
