"""The import's pipeline: a second process reading the file, chunks written while the next is
matched. Rows in one chunk must find the people of the chunks before it, even while those
are still being written, and the result must not depend on how the work was split."""

import os
import time

import pytest
from sqlalchemy import select

from crm.contacts.models import Contact
from crm.dataio import batches, contact_import
from crm.dataio.models import ConsentRecord, ImportConflict, ImportStatus
from tests.dataio.conftest import dump

ACROSS_CHUNKS = (
    "first,last,email,phone,zip,city,opt in\n"
    "Ann,Lee,ann@example.org,,60601,,yes\n"  # new
    "Old,Timer,old@example.org,,,Springfield,\n"  # an existing contact
    "Ann,Lee,ANN@example.org,312-555-0101,,Chicago,no\n"  # the new one, one chunk later
    "Old,Timer,old@example.org,,,Shelbyville,\n"  # the existing one again
    "A,Lee,,(312) 555-0101,,,\n"  # Ann, by the phone she got two chunks before
    "Nia,Okafor,nia@example.org,,,,\n"  # new
)


@pytest.fixture(params=["here", "second process"])
def parallel(request, app, monkeypatch):
    """Both ways of reading: in the importing process, and in a second process."""
    size = 0 if request.param == "second process" else 1 << 40
    monkeypatch.setitem(app.config, "IMPORT_PARALLEL_BYTES", size)
    return request.param


def test_rows_find_people_of_earlier_chunks(db, upload, run_import, make_contact, monkeypatch,
                                            parallel):  # fmt: skip
    monkeypatch.setattr(batches, "CHUNK_ROWS", 2)
    write = contact_import._Write.__call__

    def slow_write(self):
        time.sleep(0.05)  # on PostgreSQL the next chunk is matched meanwhile, unwritten
        write(self)

    monkeypatch.setattr(contact_import._Write, "__call__", slow_write)
    old = make_contact(first_name="Old", last_name="Timer", email="old@example.org", city="Here")
    before = dump()
    checked = run_import(upload(ACROSS_CHUNKS.encode()), dry_run=True)
    assert checked.dry_run_counts == {"new": 2, "matched": 1, "duplicate": 3, "invalid": 0}
    done = run_import(checked)
    assert done.status == ImportStatus.DONE and done.counts == checked.dry_run_counts

    ann = db.session.scalar(select(Contact).where(Contact.email_key == "ann@example.org"))
    # Later rows fill what she had empty; "A" differs from her first name: kept, listed.
    assert (ann.first_name, ann.phone, ann.city, ann.postcode) == ("Ann", "+13125550101",
                                                                  "Chicago", "60601")  # fmt: skip
    assert ann.email_opt_in is False and ann.search_key == "ann lee ann@example.org"
    consents = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.contact_id == ann.id).order_by(ConsentRecord.id)
    ).all()
    assert [c.granted for c in consents] == [True, False]
    db.session.refresh(old)
    assert old.city == "Here"
    conflicts = db.session.execute(
        select(ImportConflict.line, ImportConflict.contact_id, ImportConflict.field,
               ImportConflict.kept, ImportConflict.in_file).order_by(ImportConflict.line)
    ).all()  # fmt: skip
    assert [tuple(c) for c in conflicts] == [
        (3, old.id, "city", "Here", "Springfield"), (5, old.id, "city", "Here", "Shelbyville"),
        (6, ann.id, "first_name", "Ann", "A"),
    ]  # fmt: skip
    assert db.session.scalar(select(Contact).where(Contact.email_key == "nia@example.org"))

    batches.start_undo(done)  # two changes of the same contact are not "edited since"
    db.session.commit()
    batches.undo(done.id)
    db.session.expire_all()
    assert dump() == before


def test_values_that_need_escaping_arrive_intact(db, upload, run_import, parallel):
    odd = ["Tab\there", "Back\\slash", "\\N", "Line\nbreak", "Carriage\rreturn", "Zoë Ñúñez"]
    lines = ["first,last,city"]
    for i, value in enumerate(odd):
        quoted = '"' + value.replace('"', '""') + '"'
        lines.append(f"Person{i},{quoted},{quoted}")
    done = run_import(upload(("\n".join(lines) + "\n").encode()))
    assert done.counts["new"] == len(odd)
    got = {c.first_name: (c.last_name, c.city) for c in db.session.scalars(select(Contact))}
    assert got == {f"Person{i}": (value, value) for i, value in enumerate(odd)}


def test_a_broken_line_stops_the_import_before_it_writes(db, upload, run_import, parallel):
    content = ("first,last\n" + "".join(f"A{i},B{i}\n" for i in range(30))).encode()
    done = run_import(upload(content + b"x" * 200_000 + b"\n"))
    assert done.status == ImportStatus.FAILED and "Line 32 is 200,001 characters" in done.error
    assert db.session.scalars(select(Contact)).first() is None


def test_the_reading_process_dying_fails_the_import_and_undoes_it(db, upload, run_import, app,
                                                                  monkeypatch):  # fmt: skip
    monkeypatch.setitem(app.config, "IMPORT_PARALLEL_BYTES", 0)
    monkeypatch.setattr(batches, "CHUNK_ROWS", 5)
    prepare = contact_import.prepare

    def dies_at_line_30(line, *args):
        if line == 30:
            os._exit(3)  # only ever runs in the forked reading process
        return prepare(line, *args)

    monkeypatch.setattr(contact_import, "prepare", dies_at_line_30)
    content = ("first,last\n" + "".join(f"A{i},B{i}\n" for i in range(40))).encode()
    done = run_import(upload(content))
    assert done.status == ImportStatus.FAILED and "unexpected" in done.error
    assert db.session.scalars(select(Contact)).first() is None


NAMESAKES = (
    "first,last,email,phone,zip\n"
    "Sam,Lee,sam.one@example.org,,60601\n"
    "Sam,Lee,,312-555-0101,60601\n"  # no email: the Sam Lee before, who gets a phone
    "Sam,Lee,sam.two@example.org,,60601\n"  # another email: another Sam Lee, a chunk later
    "Sam,Lee,,312-555-0199,60601\n"  # the first Sam has another phone: a third one
)


def test_namesakes_in_later_chunks_stay_apart_in_the_dry_run_too(
    db, upload, run_import, monkeypatch, parallel
):
    monkeypatch.setattr(batches, "CHUNK_ROWS", 1)
    checked = run_import(upload(NAMESAKES.encode()), dry_run=True)
    assert checked.dry_run_counts == {"new": 3, "matched": 0, "duplicate": 1, "invalid": 0}
    done = run_import(checked)
    assert done.counts == checked.dry_run_counts
    sams = db.session.execute(select(Contact.email, Contact.phone).order_by(Contact.id)).all()
    assert [tuple(s) for s in sams] == [
        ("sam.one@example.org", "+13125550101"),
        ("sam.two@example.org", None),
        (None, "+13125550199"),
    ]
