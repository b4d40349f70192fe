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
