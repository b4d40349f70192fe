"""Contact imports from messy real-world files."""

from sqlalchemy import func, select

from crm.contacts.models import Contact, Organisation
from crm.contacts.normalise import fold
from crm.dataio import batches
from crm.dataio.models import ConsentRecord, ImportConflict, ImportStatus

MESSY = (
    "\ufeffFirst Name;Last Name;E-mail Address;Phone;Street;ZIP;Opt in;Opt-in date\r\n"
    'José;Núñez;JOSE@Example.org;(312) 555-0101;"12 Elm St; Apt 3";60601;yes;2024-02-01\r\n'
    "\r\n"
    ";;;;;;;\r\n"
    'Zoë;O\'Brien;zoe@example.org;;"1 Main St\nBuilding B";60602;no;01/02/2024\r\n'
    "Jose;Nunez;jose@example.org;;;;;\r\n"
    "Ann;Lee;;312-555-0102;;60603\r\n"
    "ann;LEE;;;;60603;;13/02/2024\r\n"
    "Bad;Email;not-an-email;;;;;\r\n"
    "Ragged;Row;ragged@example.org;;;;;;;\r\n"
    ";;lonely@example.org;;;;;\r\n"
    "Existing;Person;existing@example.org;;;;;\r\n"
)


def names(db):
    return {fold(c.full_name) for c in db.session.scalars(select(Contact))}


def test_a_messy_utf8_file_with_bom_imports(db, upload, run_import, make_contact):
    existing = make_contact(first_name="Existing", last_name="Person", email="existing@example.org",
                            city="Springfield")  # fmt: skip
    batch = upload(MESSY.encode("utf-8"), date_order="dmy")
    assert batch.encoding == "utf-8-sig" and batch.delimiter == ";"
    assert set(batch.mapping.values()) >= {"first_name", "last_name", "email", "phone",
                                          "address_line1", "postcode", "email_opt_in"}  # fmt: skip
    checked = run_import(batch, dry_run=True)
    assert checked.status == ImportStatus.CHECKED
    # Ann Lee's row ends two cells early: padded; the next row is her again (name and ZIP).
    # The email-only row imports.
    assert checked.dry_run_counts == {"new": 5, "matched": 1, "duplicate": 2, "invalid": 1}
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1  # nothing written

    done = run_import(checked)
    assert done.status == ImportStatus.DONE
    assert done.counts == checked.dry_run_counts
    assert names(db) == {"jose nunez", "zoe o'brien", "ann lee", "ragged row", "existing person",
                         "unknown contact"}  # fmt: skip
    jose = db.session.scalar(select(Contact).where(Contact.email_key == "jose@example.org"))
    assert (jose.first_name, jose.last_name) == ("José", "Núñez")  # the same name, unaccented
    assert jose.phone == "+13125550101" and jose.address_line1 == "12 Elm St; Apt 3"
    assert jose.search_key == "jose nunez jose@example.org" and jose.postcode_key == "60601"
    zoe = db.session.scalar(select(Contact).where(Contact.email_key == "zoe@example.org"))
    assert zoe.address_line1 == "1 Main St\nBuilding B"
    ann = db.session.scalars(select(Contact).where(Contact.last_name.in_(["Lee", "LEE"]))).all()
    assert [(a.first_name, a.postcode, a.phone) for a in ann] == [("Ann", "60603", "+13125550102")]
    db.session.refresh(existing)
    assert existing.city == "Springfield"  # empty cells do not erase
    consents = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [(c.contact_id, c.granted) for c in consents] == [(jose.id, True), (zoe.id, False)]
    assert consents[1].given_at.date().isoformat() == "2024-02-01"  # 01/02/2024, day first
    rejected = {r[0]: r[1] for r in batches.rejections(done)}
    assert "not an email address" in rejected[10]
    assert list(rejected) == [10]


def test_windows_1252_with_accents_and_commas(db, upload, run_import):
    content = (
        'Name,Email,City\r\n"Müller, Jürgen",jm@example.org,Köln\r\n'
        'Renée Françoise Dupré,rd@example.org,"Paris, France"\r\n'
    ).encode("cp1252")
    batch = upload(content)
    assert batch.encoding == "cp1252"
    assert batch.mapping == {"0": "full_name", "1": "email", "2": "city"}
    run_import(batch)
    got = {(c.first_name, c.last_name, c.city) for c in db.session.scalars(select(Contact))}
    assert got == {("Jürgen", "Müller", "Köln"), ("Renée Françoise", "Dupré", "Paris, France")}


def test_tab_separated_latin1(db, upload, run_import):
    content = "first\tlast\temail\nAndré\tGide\tag@example.org\n".encode("latin-1")
    batch = upload(content)
    assert batch.delimiter == "\t"
    run_import(batch)
    assert names(db) == {"andre gide"}


def test_matching_by_phone_then_name_and_postcode(db, upload, run_import, make_contact):
    by_phone = make_contact(first_name="Pat", last_name="Kim", phone="+13125550199")
    by_name = make_contact(first_name="Émile", last_name="Zola", postcode="60 601")
    content = (
        b"first,last,phone,zip,city\n"
        b"Patricia,Kim,312 555 0199,,Chicago\nemile,ZOLA,,60601,Evanston\n"
    )
    done = run_import(upload(content))
    assert done.counts == {"new": 0, "matched": 2, "duplicate": 0, "invalid": 0}
    db.session.refresh(by_phone)
    db.session.refresh(by_name)
    # The empty city is filled; the first name is kept, the file's listed as a conflict.
    assert (by_phone.first_name, by_phone.city) == ("Pat", "Chicago")
    assert by_name.city == "Evanston"
    conflict = db.session.scalar(select(ImportConflict))
    assert (conflict.contact_id, conflict.line, conflict.field, conflict.kept,
            conflict.in_file) == (by_phone.id, 2, "first_name", "Pat", "Patricia")  # fmt: skip


def test_an_ambiguous_date_needs_a_choice(db, upload, run_import):
    content = b"first,last,email,opt in,opt in date\nA,B,ab@example.org,yes,03/04/2024\n"
    done = run_import(upload(content))
    assert done.counts["invalid"] == 1
    [(line, reason, *_)] = list(batches.rejections(done))
    assert line == 2 and "3 April or 4 March" in reason and "choose" in reason


def test_an_is_org_flag_makes_organisations(db, upload, run_import):
    content = (
        "Constituent Name,Is Org,Org Name,Pref. Email\n"
        "Grace Church,Yes,,office@grace.example.org\n"
        "Ann Lee,No,Grace Church,ann@example.org\n"
    )
    done = run_import(upload(content.encode()))
    assert (done.counts["new"], done.counts["organisations"]) == (1, 1)
    [church] = db.session.scalars(select(Organisation)).all()
    assert (church.name, church.email) == ("Grace Church", "office@grace.example.org")
    ann = db.session.scalar(select(Contact))
    assert ann.full_name == "Ann Lee"
    assert [a.organisation_id for a in ann.affiliations] == [church.id]


def test_a_contact_needs_a_name_or_an_email(db, upload, run_import):
    content = ("first,last,email,phone,street,employer\n"
               ",,,(312) 555-0101,,\n"  # a phone alone
               ",,,,12 Elm St,\n"  # an address alone
               ",,,(312) 555-0102,3 Oak St,\n"
               "Ann,,,(312) 555-0103,,\n"  # a first name is a name
               ",Lee,,,,\n"
               ",,bo@example.org,,,\n"
               ",,,(312) 555-0104,,Acme Corp\n")  # the organisation's own row  # fmt: skip
    done = run_import(upload(content.encode()))
    assert (done.counts["new"], done.counts["invalid"], done.counts["organisations"]) == (
        3, 3, 1)  # fmt: skip
    reasons = {line: reason for line, reason, *_ in batches.rejections(done)}
    assert sorted(reasons) == [2, 3, 4]
    assert all(r.startswith("No name (first, last or organisation) and no email") for r in
               reasons.values())  # fmt: skip
    # Only the email-only row stands in as "Unknown Contact": its email finds it again.
    stand_ins = select(Contact.email).where(Contact.first_name == "Unknown")
    assert db.session.scalars(stand_ins).all() == ["bo@example.org"]
    assert db.session.scalar(select(Organisation.phone)) == "+13125550104"


def test_a_long_note_is_kept_whole(db, upload, run_import):
    from crm.contacts.models import Note

    note = "Met at the spring gala; wants to host a training at her school. " * 640
    assert len(note) > 40_000
    content = f'first,last,email,notes\nAnn,Lee,ann@example.org,"{note}"\n'
    done = run_import(upload(content.encode()))
    assert done.counts["new"] == 1
    assert db.session.scalar(select(Note.body)) == note.strip()
