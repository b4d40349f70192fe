"""Bad input gets a clear message and imports nothing."""

import io

import pytest
from sqlalchemy import func, select

from crm.contacts.models import Affiliation, Contact, Note, Organisation, Tag
from crm.csvutil import neutralise
from crm.dataio import batches
from crm.dataio.csvfile import FileProblem
from crm.dataio.models import ImportBatch, ImportKind, ImportStatus
from crm.donations.models import Donation


def store(content: bytes, **kwargs):
    return batches.create_batch(ImportKind.CONTACTS, io.BytesIO(content), "x.csv",
                                kwargs.get("encoding", "auto"), "auto", None)  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "Excel workbook"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\x00\x01\x02binary", "binary"),
        (b"just some prose without separators\nand more\n", "does not look like a CSV"),
        (b"first,last,email\n", "header row but no rows"),
        (b"first,last\n" + b"x" * (10 * 1024 * 1024) + b"\n", "characters long"),
        ("first,last\nJosé,Núñez\n".encode() + b"Bad\xff\xfeByte,x\n", "not valid UTF-8"),
    ],
    ids=[
        "empty",
        "blank",
        "xlsx",
        "pdf",
        "binary",
        "prose",
        "header-only",
        "10MB-line",
        "malformed-utf8",
    ],  # fmt: skip
)
def test_a_bad_file_is_refused_with_a_clear_message(db, content, message):
    with pytest.raises(FileProblem, match=message):
        store(content)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_malformed_utf8_when_utf8_is_chosen(db):
    with pytest.raises(FileProblem, match="line 2"):
        store(b"first,last\nJos\xe9,Nunez\n", encoding="utf-8")


def test_a_broken_line_late_in_the_file_stops_the_import_before_it_writes(db, upload, run_import):
    good = "".join(f"P{i},Q{i},p{i}@example.org\n" for i in range(5000))
    content = ("first,last,email\n" + good).encode() + b"x" * 200_000 + b"\n"
    batch = upload(content)
    done = run_import(batch)
    assert done.status == ImportStatus.FAILED and "characters long" in done.error
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_a_failure_half_way_undoes_what_was_written(db, upload, run_import, monkeypatch):
    from crm.dataio.contact_import import ContactImporter

    calls = {"n": 0}
    original = ContactImporter.process

    def flaky(self, chunk):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return original(self, chunk)

    monkeypatch.setattr(ContactImporter, "process", flaky)
    monkeypatch.setattr(batches, "CHUNK_ROWS", 2000)
    content = ("first,last\n" + "".join(f"A{i},B{i}\n" for i in range(4500))).encode()
    done = run_import(upload(content))
    assert done.status == ImportStatus.FAILED and "unexpected" in done.error
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


@pytest.mark.parametrize("cell", ['=HYPERLINK("x")', "+A1", "-1+A1", "@SUM(A1)"])
def test_exports_neutralise_formulas(cell):
    assert neutralise(cell) == "'" + cell


def test_the_rejected_rows_csv_neutralises_formulas(client, make_user, upload, run_import):
    mapping = {"first": "first_name", "last": "last_name", "email": "email"}
    done = run_import(upload(b"first,last,email\n=cmd|calc,@x,-bad\n", mapping=mapping))
    client.login(make_user("admin"))
    text = client.get(f"/imports/{done.id}/rejected.csv").text
    assert "'=cmd|calc" in text and "'@x" in text and "'-bad" in text


SHIFTED = (
    "email,amount,date,fund\n"
    "a@example.org,10.00,2024-03-01,General\n"
    "b@example.org,20.00,2024-03-02,General,,,\n"  # empty cells only pad the row: fine
    "c@example.org,1,000.00,2024-03-03,General\n"  # an unquoted thousands comma: shifted
    "d@example.org,40.00,2024-03-04\n"  # the empty cell at the end left off: padded
)


def test_shifted_rows_of_a_gift_file_are_left_out_with_the_reason(
    db, upload, run_import, make_contact, make_fund
):
    make_fund(name="General")
    for letter in "abcd":
        make_contact(email=f"{letter}@example.org")
    done = run_import(upload(SHIFTED.encode(), kind="gifts"))
    assert (done.counts["new"], done.counts["invalid"]) == (3, 1)
    gifts = db.session.execute(select(Donation.amount_cents, Donation.fund_id)
                               .order_by(Donation.amount_cents)).all()  # fmt: skip
    assert [(amount, bool(fund)) for amount, fund in gifts] == [
        (1000, True),
        (2000, True),
        (4000, False),
    ]  # not 1 dollar; 40 dollars without a fund
    reasons = {line: reason for line, reason, *_ in batches.rejections(done)}
    assert reasons == {
        4: "The row has 5 cells where the header has 4 columns: its values are shifted (a "
        "stray delimiter or quote?), so it is left out rather than read into the wrong "
        "fields.",
    }


def test_a_shifted_contact_row_writes_nothing_of_itself(db, upload, run_import):
    content = (
        "first,last,email,city\n"
        "Ann,Lee,ann@example.org,Chicago\n"
        'Bo,"Diddley, Jr",bo@example.org,Evanston,\n'  # quoted comma: fine, padded
        "Cy,Twombly, Jr,cy@example.org,Rome\n"  # unquoted comma: the email is in the city
    )
    done = run_import(upload(content.encode()))
    assert (done.counts["new"], done.counts["invalid"]) == (2, 1)
    assert not db.session.scalar(select(Contact).where(Contact.first_name == "Cy"))
    assert [line for line, *_ in batches.rejections(done)] == [4]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("Ann,Lee,ann@example.org,1990-02-30,x", "not a date"),
        ("Ann,Lee,ann@example.org,2990-02-03,x", "is in the future"),
        (f"Ann,Lee,ann@example.org,,{'t' * 61}", "longer than 60 characters"),
        (",,,,", None),
    ],
    ids=["birth date", "future birth date", "tag", "blank"],
)
def test_a_bad_value_of_the_new_fields_rejects_the_row(db, upload, run_import, row, reason):
    mapping = {"first": "first_name", "last": "last_name", "email": "email",
               "birthday": "birth_date", "tags": "tags"}  # fmt: skip
    done = run_import(upload(f"first,last,email,birthday,tags\n{row}\nBo,X,bo@example.org,,\n"
                             .encode(), mapping=mapping))  # fmt: skip
    if reason:
        assert done.counts["invalid"] == 1 and reason in next(batches.rejections(done))[1]
    assert db.session.scalars(select(Contact.first_name)).all() == ["Bo"]
    assert db.session.scalars(select(Tag)).all() == []


def test_an_organisation_row_without_a_name_is_refused(db, upload, run_import):
    content = "Type,Name,Email\nOrganization,,info@example.org\nIndividual,Ann Lee,ann@x.org\n"
    done = run_import(upload(content.encode()))
    assert (done.counts["new"], done.counts["invalid"]) == (1, 1)
    [(line, reason, *_)] = list(batches.rejections(done))
    assert (line, reason) == (2, "The row is about an organisation but gives no name for it.")
    assert db.session.scalars(select(Contact.email)).all() == ["ann@x.org"]


def test_a_failure_half_way_takes_back_organisations_tags_and_notes(db, upload, run_import,
                                                                   monkeypatch):  # fmt: skip
    from crm.dataio.contact_import import ContactImporter

    original = ContactImporter.process
    chunks = iter(range(1, 100))

    def flaky(self, chunk):
        if next(chunks) == 3:
            raise RuntimeError("database went away")
        return original(self, chunk)

    monkeypatch.setattr(ContactImporter, "process", flaky)
    monkeypatch.setattr(batches, "CHUNK_ROWS", 2)
    rows = "".join(f"A{i},B{i},a{i}@example.org,Org {i % 2},t{i}; shared,Note {i}\n"
                   for i in range(8))  # fmt: skip
    done = run_import(upload(f"first,last,email,employer,tags,notes\n{rows}".encode()))
    assert done.status == ImportStatus.FAILED and "unexpected" in done.error
    for model in (Contact, Organisation, Affiliation, Note, Tag):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
