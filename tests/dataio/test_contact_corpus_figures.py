"""Every contact export of the corpus (corpus/contacts/) against the source system's own
count of people beside it (`<name>.totals.toml`): after the import the CRM has each of them
once, but for the rows it refuses with the reason and the source's records it knows to be
one person; the same file again adds nothing. The files new with this test are looked at
more closely below."""

import tomllib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.contacts.models import Contact, Organisation
from crm.dataio import batches
from crm.dataio.models import ImportBatch
from tests.dataio.conftest import dump
from tests.dataio.test_contact_corpus import wizard

CORPUS = Path(__file__).parent / "corpus" / "contacts"
LOGS = {"import_batches", "import_changes", "import_rejections", "audit_events",
        "user_sessions", "consent_records"}  # fmt: skip
# file: (date order, rows refused by line, the source's records that are one person here)
CASES = {
    "bloomerang_constituents.csv": ("mdy", [7], 0),  # a value past the header: shifted
    "civicrm_contacts_semicolon.csv": ("", [], 0),
    "donorbox_donors_latin1.csv": ("", [], 0),
    "givebutter_contacts.csv": ("", [], 0),
    "lgl_constituents.csv": ("", [], 0),
    "mailchimp_subscribed_members.csv": ("", [], 0),
    "salesforce_npsp_contacts.csv": ("", [], 0),
    "zeffy_contacts_utf16.txt": ("", [], 1),  # the third Sam Lee has the first one's phone
    "civicrm_contacts_de_excel.csv": ("", [6, 7], 0),  # a phone alone, an address alone
    "salesforce_contacts_report.csv": ("mdy", [4, 8, 9, 10, 11], 0),  # a mobile; the footer
    "mailchimp_members_2024.csv": ("", [], 0),
}


def mapped(batch: ImportBatch) -> dict[str, str]:
    return {batch.headers[int(i)]: field for i, field in batch.mapping.items()}


def rejected(batch: ImportBatch) -> dict[int, str]:
    return {line: reason for line, reason, *_ in batches.rejections(batch)}


@pytest.fixture
def staff(client, make_user):
    client.login(make_user("fundraiser"))
    return client


@pytest.mark.parametrize("name", list(CASES))
def test_the_crm_has_the_sources_people(db, staff, name):
    date_order, refused, one_person = CASES[name]
    people = tomllib.loads((CORPUS / f"{name.rsplit('.', 1)[0]}.totals.toml").read_text())
    done = wizard(staff, db, name, date_order, system="corpus")
    here = done.counts["new"] + done.counts["matched"]
    print(
        f"\nCORPUS {name}: source {people['people']} people | CRM {here} people "
        f"({len(refused)} rows refused, {one_person} found to be one person)"
    )
    assert (
        here
        == people["people"]
        - len([line for line in refused if line not in FOOTERS.get(name, ())])
        - one_person
    )
    assert sorted(rejected(done)) == refused
    before = dump(skip=LOGS)
    again = wizard(staff, db, name, date_order, system="corpus")
    assert again.counts["new"] == 0
    assert dump(skip=LOGS) == before  # the same file again adds nothing


FOOTERS = {"salesforce_contacts_report.csv": (8, 9, 10, 11)}  # lines that are no one


def person(db, email: str) -> Contact:
    return db.session.scalar(select(Contact).where(Contact.email_key == email))


def test_civicrm_contacts_re_saved_by_a_german_excel(db, staff):
    done = wizard(staff, db, "civicrm_contacts_de_excel.csv")
    assert (done.encoding, done.delimiter) == ("cp1252", ";")
    assert mapped(done) == {
        "Contact ID": "external_id", "Contact Type": "contact_type",
        "Display Name": "full_name", "First Name": "first_name", "Last Name": "last_name",
        "Organization Name": "organisation", "Email": "email", "Phone": "phone",
        "Street Address": "address_line1", "City": "city", "Postal Code": "postcode",
        "Country": "country", "Birth Date": "birth_date", "Do Not Email": "do_not_contact",
        "Note(s)": "notes",
    }  # fmt: skip
    reasons = rejected(done)
    assert all(reasons[line].startswith("No name (first, last or organisation) and no email")
               for line in (6, 7))  # fmt: skip
    jurgen = person(db, "j.weiss@example.org")
    assert (jurgen.first_name, jurgen.birth_date, jurgen.country) == (
        "Jürgen",
        date(1975, 2, 1),
        "DE",
    )
    countries = {c.email_key: c.country for c in db.session.scalars(select(Contact))}
    assert [
        countries[e]
        for e in (
            "ines.sa@example.org",
            "mats@example.org",
            "sophie.l@example.org",
            "greta@example.org",
            "noah.w@example.org",
        )
    ] == ["PT", "SE", "FR", "AT", "CH"]
    # the rows Excel wrote short are whole people
    assert person(db, "anja.koc@example.org").last_name == "Koç"
    assert person(db, "lukas.b@example.org").country is None
    rene = person(db, "rene@example.org")
    assert rene.do_not_contact and [a.organisation.name for a in rene.affiliations] == [
        "Förderverein Schule Nord"]  # fmt: skip
    school = db.session.scalar(select(Organisation))
    assert (school.name, school.notes) == ("Förderverein Schule Nord", "Partner für Elternabende")


def test_a_salesforce_contacts_report_with_its_footer(db, staff):
    done = wizard(staff, db, "salesforce_contacts_report.csv", "mdy")
    assert mapped(done) == {
        "Contact ID": "external_id", "First Name": "first_name", "Last Name": "last_name",
        "Account Name": "organisation", "Email": "email", "Phone": "phone",
        "Mailing Street": "address_line1", "Mailing City": "city",
        "Mailing State/Province": "region", "Mailing Zip/Postal Code": "postcode",
        "Mailing Country": "country", "Birthdate": "birth_date",
    }  # fmt: skip
    grace = person(db, "grace@example.org")
    assert (grace.birth_date, grace.country, grace.affiliations) == (date(1906, 12, 9), "US", [])
    alan = person(db, "alan@example.org")
    assert [a.organisation.name for a in alan.affiliations] == ["Bletchley Park Trust"]
    ada = db.session.scalar(select(Contact).where(Contact.first_name == "Ada"))
    assert (ada.country, ada.postcode) == ("GB", "SW1Y 4JH")
    # Only a mobile number, in the column not chosen for the phone (one phone per contact)
    assert rejected(done)[4] == "No name, email or organisation."


def test_a_mailchimp_audience_with_companies_and_yearless_birthdays(db, staff):
    done = wizard(staff, db, "mailchimp_members_2024.csv")
    assert mapped(done) == {
        "Email Address": "email", "First Name": "first_name", "Last Name": "last_name",
        "Address": "address_line1", "Phone Number": "phone", "Birthday": "birth_date",
        "Company": "organisation", "OPTIN_TIME": "consent_date", "NOTES": "notes",
        "TAGS": "tags",
    }  # fmt: skip
    sam = person(db, "sam.ito@example.org")
    assert [a.organisation.name for a in sam.affiliations] == ["Ito Dental"]
    assert [t.name for t in person(db, "teacher@school.example.org").tags] == [
        "Newsletter", "Teachers"]  # fmt: skip
    ruth = person(db, "ruth@example.org")
    assert (ruth.birth_date, ruth.region) == (None, None)  # no year; REGION is the IP's
