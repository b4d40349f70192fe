"""Contact exports of other donor systems, as their users would upload them (corpus/contacts/:
each system's header row, encoding and dialect), through the wizard: the suggested mapping
is used as it comes, and the counts and stored values are what a person would expect."""

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.contacts.models import Affiliation, Contact, Note, Organisation, OrganisationType, Tag
from crm.dataio import batches
from crm.dataio.models import ConsentRecord, ExternalId, ImportBatch, ImportConflict
from tests.dataio.conftest import dump

CORPUS = Path(__file__).parent / "corpus" / "contacts"


def wizard(client, db, name: str, date_order: str = "", system: str = "") -> ImportBatch:
    """Upload, keep the suggested mapping, dry run, import; the batch after."""
    content = (CORPUS / name).read_bytes()
    response = client.form("/imports/", {"kind": "contacts", "encoding": "auto",
                                         "delimiter": "auto",
                                         "file": (io.BytesIO(content), name)})  # fmt: skip
    assert response.status_code == 302, response.text
    url = response.headers["Location"].removesuffix("/map")
    batch = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    suggested = {f"col-{i}": f for i, f in batch.mapping.items()}
    form = {**suggested, "date_order": date_order, "system": system, "action": "check"}
    assert client.form(url + "/map", form).status_code == 302
    db.session.expire_all()
    checked = db.session.get(ImportBatch, batch.id)
    assert checked.error is None, checked.error
    client.form(url + "/run", {})
    db.session.expire_all()
    done = db.session.get(ImportBatch, batch.id)
    assert done.error is None, done.error
    assert done.counts == checked.dry_run_counts  # the dry run said what the import did
    return done


def mapped(batch: ImportBatch) -> dict[str, str]:
    return {batch.headers[int(i)]: field for i, field in batch.mapping.items()}


def person(db, email: str) -> Contact:
    return db.session.scalar(select(Contact).where(Contact.email_key == email))


def tags_of(contact: Contact) -> list[str]:
    return [t.name for t in contact.tags]


def employers(contact: Contact) -> list[str]:
    return [a.organisation.name for a in contact.affiliations]


def organisation(db, name: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def rejected(batch) -> dict[int, str]:
    return {line: reason for line, reason, *_ in batches.rejections(batch)}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def staff(client, make_user):
    client.login(make_user("fundraiser"))
    return client


def test_bloomerang(db, staff):
    done = wizard(staff, db, "bloomerang_constituents.csv", date_order="mdy", system="bloomerang")
    assert (done.encoding, done.delimiter) == ("utf-8-sig", ",")
    assert mapped(done) == {
        "Account Number": "external_id", "Type": "contact_type", "Name": "full_name",
        "First Name": "first_name", "Last Name": "last_name", "Employer": "organisation",
        "Primary Email Address": "email", "Primary Phone Number": "phone",
        "Primary Street": "address_line1", "Primary City": "city", "Primary State": "region",
        "Primary ZIP Code": "postcode", "Primary Country": "country", "Birthdate": "birth_date",
        "Notes": "notes",
    }  # fmt: skip
    assert done.counts == {"new": 4, "matched": 0, "duplicate": 1, "invalid": 1,
                           "organisations": 2}  # fmt: skip
    assert "17 cells where the header has 16 columns" in rejected(done)[7]
    assert not person(db, "sam@example.org")  # the shifted row is left out whole

    ann = person(db, "ann.lee@example.org")
    assert (ann.birth_date, ann.country, ann.phone) == (date(1980, 4, 17), "US", "+13125550101")
    assert employers(ann) == ["Acme Corp"] and [n.body for n in ann.notes] == [
        "Met at the spring gala"
    ]
    # Another Ann Lee at the same ZIP code, with another email: another person.
    other = person(db, "annlee.other@example.org")
    assert other.id != ann.id and other.address_line1 == "9 Maple St"
    church = organisation(db, "St. Mark's Church")
    assert (church.email, church.phone, church.city, church.type) == (
        "office@stmarks.example.org",
        "+13125550102",
        "Chicago",
        OrganisationType.FAITH_GROUP,
    )
    assert church.notes == "Hosts our parent nights"
    assert not db.session.scalar(select(Contact).where(Contact.last_name.like("%Mark%")))
    bo = person(db, "bo@example.org")
    assert employers(bo) == ["St. Mark's Church"] and bo.birth_date == date(1975, 12, 30)
    assert bo.notes[0].body == "Prefers calls.\nNo mail on Sundays."
    jose = db.session.scalar(select(Contact).where(Contact.first_name == "José"))
    assert (jose.last_name, jose.email, jose.phone) == ("Núñez", None, "+13125550104")
    ids = db.session.scalars(select(ExternalId.value).where(ExternalId.system == "bloomerang"))
    assert sorted(ids) == ["1001", "1003", "1004", "1006"]


def test_mailchimp(db, staff):
    done = wizard(staff, db, "mailchimp_subscribed_members.csv")
    assert mapped(done) == {
        "Email Address": "email", "First Name": "first_name", "Last Name": "last_name",
        "Address": "address_line1", "Phone Number": "phone", "Birthday": "birth_date",
        "OPTIN_TIME": "consent_date", "NOTES": "notes", "TAGS": "tags",
    }  # fmt: skip
    assert done.counts == {"new": 3, "matched": 0, "duplicate": 1, "invalid": 0}
    ann = person(db, "ann.lee@example.org")
    assert tags_of(ann) == ["Gala 2023", "Newsletter"]
    assert ann.birth_date is None  # "04/17" has no year: nothing to keep, and no rejection
    assert ann.region is None  # REGION is where her IP address was
    nameless = person(db, "subscriber@example.org")
    assert (nameless.first_name, nameless.last_name) == ("Unknown", "Contact")
    assert tags_of(nameless) == ["Newsletter"]
    zoe = person(db, "zoe@example.org")
    assert (zoe.first_name, zoe.phone) == ("Zoë", "+442079460958")
    assert [n.body for n in zoe.notes] == ["Asked about school talks"]


def test_little_green_light(db, staff, make_contact):
    renee = make_contact(first_name="Renée", last_name="Dupré", postcode="60601")
    namesake = make_contact(first_name="Ann", last_name="Lee", postcode="60601",
                            email="ann@old.example.org")  # fmt: skip
    done = wizard(staff, db, "lgl_constituents.csv", system="lgl")
    assert done.encoding == "cp1252"
    assert mapped(done) == {
        "Constituent ID": "external_id", "Constituent type": "contact_type",
        "First name": "first_name", "Last name": "last_name",
        "Organization Name": "organisation", "Pref. Email": "email", "Pref. Phone": "phone",
        "Street": "address_line1", "City": "city", "State": "region", "Postal code": "postcode",
        "Country": "country", "Birthday": "birth_date", "Groups": "tags", "Notes": "notes",
    }  # fmt: skip
    assert done.counts == {"new": 3, "matched": 1, "duplicate": 0, "invalid": 0,
                           "organisations": 1}  # fmt: skip
    db.session.refresh(renee)
    assert (renee.email, renee.phone, renee.birth_date) == ("renee@example.org", "+13125550111",
                                                            date(1990, 2, 14))  # fmt: skip
    assert tags_of(renee) == ["Newsletter", "Volunteers"]
    assert [n.body for n in renee.notes] == ["Called in March"]
    db.session.refresh(namesake)
    assert namesake.email == "ann@old.example.org"  # not merged with the other Ann Lee
    assert person(db, "ann.new@example.org").id != namesake.id
    rotary = organisation(db, "Rotary Club of Springfield")
    assert (rotary.type, rotary.city) == (OrganisationType.COMMUNITY, "Springfield")
    assert rotary.notes == "Sponsors the spring walk"
    jurgen = person(db, "jm@example.org")
    assert (jurgen.last_name, jurgen.address_line1) == ("Müller", "2 Hauptstraße")
    assert employers(jurgen) == ["Rotary Club of Springfield"]
    assert db.session.scalar(select(Contact).where(Contact.last_name == "Twain"))


def test_civicrm_semicolons_quoted_newlines(db, staff):
    done = wizard(staff, db, "civicrm_contacts_semicolon.csv", system="civicrm")
    assert done.delimiter == ";"
    assert mapped(done) == {
        "Contact ID": "external_id", "Contact Type": "contact_type",
        "Display Name": "full_name", "First Name": "first_name", "Last Name": "last_name",
        "Nick Name": "preferred_name", "Organization Name": "organisation", "Email": "email",
        "Phone": "phone", "Street Address": "address_line1",
        "Supplemental Address 1": "address_line2", "City": "city", "Postal Code": "postcode",
        "State": "region", "Country": "country", "Birth Date": "birth_date",
        "Do Not Email": "do_not_contact", "Tags": "tags", "Note(s)": "notes",
    }  # fmt: skip
    # The district's own row and Priya's employer are one organisation. Lucía's row ends
    # four cells early, as spreadsheets write a row whose last cells are empty: padded.
    assert done.counts == {"new": 3, "matched": 0, "duplicate": 0, "invalid": 0,
                           "organisations": 1}  # fmt: skip
    lucia = db.session.scalar(select(Contact).where(Contact.first_name == "Lucía"))
    assert (lucia.last_name, lucia.email, lucia.country) == ("Gómez", None, None)
    priya = person(db, "priya@example.org")
    assert (priya.first_name, priya.preferred_name, priya.address_line1, priya.address_line2) == (
        "Priya",
        "Pri",
        "10 Lake Shore Dr; Unit 4",
        'Building "B"',
    )
    assert tags_of(priya) == ["Educators", "Speakers"]
    assert priya.notes[0].body == "Gave a talk\nat Northside"
    assert employers(priya) == ["Northside School District"]
    district = organisation(db, "Northside School District")
    assert (district.type, district.email) == (OrganisationType.SCHOOL,
                                               "office@northside.example.org")  # fmt: skip
    assert count(db, Organisation) == 1
    assert person(db, "tom@example.org").do_not_contact is True


def test_salesforce_npsp_and_conflicts(db, staff, make_contact):
    price = make_contact(first_name="Anna", last_name="Price", email="price@example.org",
                         city="Evanston")  # fmt: skip
    done = wizard(staff, db, "salesforce_npsp_contacts.csv", system="salesforce")
    assert mapped(done) == {
        "Contact ID": "external_id", "Account Name": "organisation", "First Name": "first_name",
        "Last Name": "last_name", "Mailing Street": "address_line1",
        "Mailing City": "city", "Mailing State/Province": "region",
        "Mailing Zip/Postal Code": "postcode", "Mailing Country": "country", "Phone": "phone",
        "Email": "email", "Birthdate": "birth_date",
    }  # fmt: skip
    # Linh's row has no "Created Date" cell at all: short, padded, imported.
    assert done.counts == {"new": 3, "matched": 1, "duplicate": 0, "invalid": 0,
                           "organisations": 1}  # fmt: skip
    assert person(db, "linh@example.org").last_name == "Nguyen"
    assert employers(person(db, "ann.lee@example.org")) == []  # "Lee Household" is no employer
    assert employers(person(db, "kofi@acme.example.com")) == ["Acme Corp"]
    db.session.refresh(price)
    # A match fills what was empty and keeps what was there.
    assert (price.first_name, price.city, price.postcode) == ("Anna", "Evanston", "60614")
    conflicts = db.session.scalars(select(ImportConflict).order_by(ImportConflict.field)).all()
    assert [(c.contact_id, c.line, c.field, c.kept, c.in_file) for c in conflicts] == [
        (price.id, 5, "city", "Evanston", "Chicago"),
        (price.id, 5, "first_name", "Anna", "Annabel"),
    ]
    page = staff.get(f"/imports/{done.id}").text
    assert "2 conflicts with what contacts already had" in page and "Annabel" in page
    csv_text = staff.get(f"/imports/{done.id}/conflicts.csv").text
    assert csv_text.splitlines()[1:] == [
        f"5,{price.id},Anna Price,First name,Anna,Annabel",
        f"5,{price.id},Anna Price,City,Evanston,Chicago",
    ]


def test_givebutter(db, staff):
    done = wizard(staff, db, "givebutter_contacts.csv", system="givebutter")
    assert mapped(done) == {
        "Givebutter Contact ID": "external_id", "First Name": "first_name",
        "Last Name": "last_name", "Date of Birth": "birth_date", "Employer": "organisation",
        "Primary Email": "email", "Primary Phone": "phone", "Address Line 1": "address_line1",
        "Address Line 2": "address_line2", "City": "city", "State": "region",
        "Zip Code": "postcode", "Country": "country", "Tags": "tags", "Notes": "notes",
        "Email Subscription Status": "email_opt_in",
    }  # fmt: skip
    assert done.counts == {"new": 3, "matched": 0, "duplicate": 0, "invalid": 0,
                           "organisations": 1}  # fmt: skip
    maya = person(db, "maya@example.org")
    assert (maya.email_opt_in, maya.birth_date, tags_of(maya)) == (True, date(1992, 5, 5),
                                                                  ["Donor", "Monthly"])  # fmt: skip
    cafe = organisation(db, "Blue Bottle Cafe")
    assert (cafe.email, cafe.notes) == ("hello@bluebottle.example.com", "In-kind coffee for events")
    assert not person(db, "hello@bluebottle.example.com")
    quiet = person(db, "quiet@example.org")
    assert (quiet.full_name, quiet.email_opt_in) == ("Unknown Contact", True)
    assert employers(person(db, "omar@example.org")) == ["Blue Bottle Cafe"]
    granted = db.session.scalars(select(ConsentRecord.contact_id).where(ConsentRecord.granted))
    assert sorted(granted) == sorted([maya.id, quiet.id])


def test_donorbox_latin1_semicolons(db, staff):
    done = wizard(staff, db, "donorbox_donors_latin1.csv")
    assert (done.encoding, done.delimiter) == ("cp1252", ";")
    # "Address 2" is empty in every row: never suggested.
    assert mapped(done) == {
        "Donor's First Name": "first_name", "Donor's Last Name": "last_name",
        "Donor Email": "email", "Donor's Phone": "phone", "Address": "address_line1",
        "City": "city", "State / Province / Region": "region",
        "Postal Code": "postcode", "Country": "country", "Company": "organisation",
        "Donor Comment": "notes",
    }  # fmt: skip
    assert done.counts == {"new": 2, "matched": 0, "duplicate": 1, "invalid": 0,
                           "organisations": 1}  # fmt: skip
    chloe = person(db, "chloe@example.org")
    assert (chloe.first_name, chloe.last_name) == ("Chloé", "Lefèvre")
    assert [n.body for n in chloe.notes] == ["Pour les enfants"]
    assert organisation(db, "Église Saint-Pierre").type is OrganisationType.FAITH_GROUP
    assert count(db, ImportConflict) == 0  # "Chloe Lefevre" is the same name, unaccented


def test_zeffy_utf16_tabs_namesakes(db, staff):
    done = wizard(staff, db, "zeffy_contacts_utf16.txt")
    assert (done.encoding, done.delimiter) == ("utf-16", "\t")
    assert mapped(done) == {
        "First Name": "first_name", "Last Name": "last_name", "Email": "email",
        "Company name": "organisation", "Address": "address_line1", "City": "city",
        "Postal code": "postcode", "Region": "region", "Country": "country", "Phone": "phone",
        "Date of birth": "birth_date",
    }  # fmt: skip
    # Two Sam Lees at one postcode with different emails are two people; the third row, with
    # the first one's phone, is the first one.
    assert done.counts == {"new": 3, "matched": 0, "duplicate": 1, "invalid": 0,
                           "organisations": 1}  # fmt: skip
    sams = db.session.scalars(select(Contact).where(Contact.first_name == "Sam")).all()
    assert sorted(s.email for s in sams) == ["sam.one@example.org", "sam.two@example.org"]
    assert person(db, "elise@example.org").country == "CA"
    assert employers(person(db, "elise@example.org")) == ["Café Olimpico"]


def test_undo_takes_back_organisations_tags_notes_and_links(db, staff, make_contact):
    existing = make_contact(first_name="Renée", last_name="Dupré", postcode="60601",
                            tags=["Newsletter"])  # fmt: skip
    before = dump()
    done = wizard(staff, db, "lgl_constituents.csv", system="lgl")
    assert count(db, Organisation) == 1 and count(db, Note) == 1
    assert count(db, Affiliation) == 1 and count(db, Tag) == 2
    staff.form(f"/imports/{done.id}/undo", {})
    db.session.expire_all()
    assert dump() == before
    assert tags_of(db.session.get(Contact, existing.id)) == ["Newsletter"]


AGAIN = {
    "givebutter_contacts.csv": {"new": 0, "matched": 3, "duplicate": 0, "invalid": 0,
                                "organisations_matched": 1},
    "bloomerang_constituents.csv": {"new": 0, "matched": 4, "duplicate": 1, "invalid": 1,
                                    "organisations_matched": 1},
}  # fmt: skip
LOGS = {"import_batches", "import_changes", "import_rejections", "audit_events",
        "user_sessions", "consent_records"}  # fmt: skip


@pytest.mark.parametrize("name", list(AGAIN))
def test_reimporting_the_same_file_adds_nothing(db, staff, name):
    wizard(staff, db, name, date_order="mdy", system="again")
    before = dump(skip=LOGS)
    again = wizard(staff, db, name, date_order="mdy", system="again")
    assert again.counts == AGAIN[name]
    assert dump(skip=LOGS) == before  # no second note, link, tag or organisation
