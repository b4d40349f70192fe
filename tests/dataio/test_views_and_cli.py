"""The import wizard through HTTP, the duplicate queue, the consent log and the commands."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from crm.contacts.models import Contact
from crm.dataio.duplicates import scan, similar_names
from crm.dataio.models import (
    ConsentRecord,
    DuplicatePair,
    DuplicateStatus,
    ImportBatch,
    ImportConflict,
    ImportRejection,
)
from crm.modelbase import utcnow

pytestmark = pytest.mark.clock  # the outcome depends on today's date

CSV = "Prénom,Nom,Courriel,Code postal\r\nÉlodie,Durand,ed@example.org,75001\r\n".encode("cp1252")


def test_the_wizard_from_upload_to_undo(client, make_user):
    client.login(make_user("fundraiser"))
    response = client.form("/imports/", {"kind": "contacts", "encoding": "auto",
                                         "delimiter": "auto",
                                         "file": (io.BytesIO(CSV), "legacy.csv")})  # fmt: skip
    assert response.status_code == 302
    batch_url = response.headers["Location"].removesuffix("/map")
    page = client.get(batch_url + "/map").text
    assert "Élodie" in page and 'value="first_name" selected' in page
    assert "No problems in these 1 rows." in page
    form = {"col-0": "first_name", "col-1": "last_name", "col-2": "email", "col-3": "postcode",
            "date_order": "", "system": "legacy"}  # fmt: skip
    response = client.form(batch_url + "/map", {**form, "action": "check"})
    assert response.status_code == 302
    page = client.get(batch_url).text
    assert "Dry run finished" in page and "Import now" in page
    assert client.get(batch_url + "/progress.json").get_json()["counts"]["new"] == 1
    client.form(batch_url + "/run", {})
    assert "Imported" in client.get(batch_url).text
    assert [c.full_name for c in client.application.extensions["sqlalchemy"].session.scalars(
        select(Contact))] == ["Élodie Durand"]  # fmt: skip
    client.form(batch_url + "/undo", {})
    assert "Undone" in client.get(batch_url).text


def test_an_unreadable_upload_says_why(client, make_user, db):
    client.login(make_user("admin"))
    response = client.form("/imports/", {"kind": "contacts", "encoding": "auto",
                                         "delimiter": "auto",
                                         "file": (io.BytesIO(b""), "empty.csv")})  # fmt: skip
    assert response.status_code == 200 and "The file is empty." in response.text
    assert db.session.scalars(select(ImportBatch)).all() == []


def test_a_mapping_without_names_or_emails_is_refused(client, make_user):
    client.login(make_user("admin"))
    response = client.form("/imports/", {"kind": "contacts", "encoding": "auto",
                                         "delimiter": "auto",
                                         "file": (io.BytesIO(CSV), "legacy.csv")})  # fmt: skip
    url = response.headers["Location"]
    page = client.form(url, {"col-3": "postcode", "date_order": "", "action": "check"}).text
    assert "Choose the column with the names (first, last or full name), the email" in page


def test_the_duplicate_finder(db, make_contact):
    a = make_contact(first_name="Robert", last_name="Smith", postcode="60601")
    b = make_contact(first_name="Rob", last_name="Smith", postcode="60 601")
    c = make_contact(first_name="Ann", email="ann@example.org")
    d = make_contact(first_name="Anne", email="ANN@example.org ")
    make_contact(first_name="Robert", last_name="Jones", postcode="60601")
    assert scan() == 2
    db.session.commit()
    pairs = {(p.first_id, p.second_id, p.reason) for p in db.session.scalars(select(DuplicatePair))}
    assert pairs == {(a.id, b.id, "name and postcode"), (c.id, d.id, "email")}
    assert scan() == 0  # nothing twice
    assert similar_names(("Jon", "Lee"), ("John", "Lee")) and not similar_names(
        ("Al", "Lee"), ("Bo", "Lee")
    )


def test_the_queue_dismisses_and_links_to_the_merge(client, make_user, make_contact, db):
    a = make_contact(email="x@example.org")
    b = make_contact(email="X@example.org")
    scan()
    db.session.commit()
    client.login(make_user("coordinator"))
    page = client.get("/duplicates/").text
    assert f"/contacts/{a.id}/merge?other_id={b.id}" in page
    pair = db.session.scalars(select(DuplicatePair)).one()
    client.form(f"/duplicates/{pair.id}/dismiss", {})
    assert db.session.get(DuplicatePair, pair.id).status == DuplicateStatus.DISMISSED
    assert "No possible duplicates" in client.get("/duplicates/").text


def test_the_consent_log(client, make_user, make_contact, db):
    person = make_contact()
    client.login(make_user("coordinator"))
    response = client.form(f"/contacts/{person.id}/consent", {
        "topic": "photos", "granted": "yes", "method": "paper", "given_on": "2024-05-01",
        "note": "Signed at the school night"})  # fmt: skip
    assert response.status_code == 302
    record = db.session.scalars(select(ConsentRecord)).one()
    assert (record.topic, record.granted, record.method.value) == ("photos", True, "paper")
    assert "Signed at the school night" in client.get(f"/contacts/{person.id}/consent").text


def test_retention_erases_after_withdrawn_consent(runner, make_contact, db):
    gone = make_contact(first_name="Withdrew", email="w@example.org")
    make_contact(first_name="Stays", email="s@example.org")
    db.session.add(
        ConsentRecord(
            contact=gone,
            topic="data_processing",
            granted=False,
            method="email",
            given_at=utcnow() - timedelta(days=90),
        )
    )
    db.session.commit()
    gone_id = gone.id
    dry = runner.invoke(args=["crm", "retention", "--dry-run"])
    assert dry.exit_code == 0 and f"would erase contact #{gone_id}" in dry.output
    assert db.session.get(Contact, gone_id) is not None
    real = runner.invoke(args=["crm", "retention"])
    assert real.exit_code == 0 and "Erased 1 contact(s)" in real.output
    db.session.expire_all()
    assert db.session.get(Contact, gone_id) is None
    assert [c.first_name for c in db.session.scalars(select(Contact))] == ["Stays"]


def test_backup_and_verify_on_this_engine(runner, make_contact, tmp_path, app):
    make_contact(first_name="Backed", last_name="Up")
    result = runner.invoke(args=["crm", "backup", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = result.output.strip().rsplit(" ", 1)[-1]
    check = runner.invoke(args=["crm", "verify-backup", path])
    assert check.exit_code == 0, check.output
    head = ScriptDirectory(str(Path(app.root_path).parent / "migrations")).get_current_head()
    assert "it restores" in check.output and f"at revision {head}," in check.output
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    bad = runner.invoke(args=["crm", "verify-backup", str(broken)])
    assert bad.exit_code != 0


def test_retention_clears_old_imports_rejections_and_conflicts(runner, make_contact, db, upload,
                                                               run_import):  # fmt: skip
    make_contact(first_name="Ann", last_name="Lee", email="ann@example.org")
    done = run_import(upload(b"first,last,email\nAnnie,Lee,ann@example.org\nBad,Row,nope\n"))
    assert db.session.scalar(select(func.count()).select_from(ImportConflict)) == 1
    assert runner.invoke(args=["crm", "retention"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(ImportConflict)) == 1  # recent
    done.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    result = runner.invoke(args=["crm", "retention"])
    assert result.exit_code == 0 and "cleared 1 old import(s)" in result.output
    for model in (ImportConflict, ImportRejection):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_the_duplicate_finder_does_not_pair_nameless_contacts(db, make_contact):
    make_contact(first_name="Unknown", last_name="Contact", email="a@example.org", postcode="1")
    make_contact(first_name="Unknown", last_name="Contact", email="b@example.org", postcode="1")
    make_contact(first_name="Unknown", last_name="Donor", email="c@example.org", postcode="1")
    assert scan() == 0
