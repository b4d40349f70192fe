"""The wizard's screens: sample values beside each column, the preview's problems, and
discarding an upload that was never imported (by staff, or by the retention command)."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from crm.audit.models import AuditEvent
from crm.dataio import batches, uploads
from crm.dataio.models import (
    ImportBatch,
    ImportChange,
    ImportRejection,
    ImportStatus,
    UnmatchedRefund,
)
from crm.modelbase import utcnow

pytestmark = pytest.mark.clock  # the outcome depends on today's date

LONG = "Met at the spring gala and would like to volunteer at the next school night"
CSV = (
    "Name,Email,Notes,Empty\r\n"
    "Ann Lee,ann@example.org,<script>alert(1)</script>,\r\n"
    f"Ann Lee,not-an-email,{LONG},\r\n"
    "Bo Ray,bo@example.org,,\r\n"
    ",,only a note,\r\n"
    "Cy Tan,cy@example.org,a & b,\r\n"
).encode()
MAPPING = {"Name": "full_name", "Email": "email"}


def samples_of(page: str, index: int) -> list[str] | None:
    """The sample values shown under a column's dropdown (None: no sample list)."""
    block = re.search(rf'<div class="column-samples" id="col-{index}-samples">(.*?)</div>', page,
                      re.S)  # fmt: skip
    assert block, f"no samples block for column {index}"
    items = re.findall(r"<li>(.*?)</li>", block.group(1), re.S)
    return items if "<ul" in block.group(1) else None


def stored(batch: ImportBatch) -> bool:
    return os.path.exists(batches.file_path(batch))


def batch_count(db) -> int:
    count = db.session.scalar(select(func.count()).select_from(ImportBatch))
    db.session.rollback()
    return count


@pytest.fixture
def own_upload(upload, db):
    """An upload by `user`, mapped: own_upload(user, status=..., content=...)."""

    def factory(user, status=ImportStatus.UPLOADED, content=CSV, **options):
        batch = upload(content, mapping=MAPPING, **options)
        batch.created_by_id = user.id if user else None
        batch.status = status
        db.session.commit()
        return batch

    return factory


# --- the mapping step ---------------------------------------------------------------------


def test_each_column_shows_a_few_distinct_values_escaped_and_shortened(client, make_user,
                                                                        own_upload):  # fmt: skip
    user = make_user("fundraiser")
    batch = own_upload(user)
    client.login_as(user)
    page = client.get(f"/imports/{batch.id}/map").text
    # Names: repeats and blanks are left out, three at most.
    assert samples_of(page, 0) == ["Ann Lee", "Bo Ray", "Cy Tan"]
    assert samples_of(page, 1) == ["ann@example.org", "not-an-email", "bo@example.org"]
    notes = samples_of(page, 2)
    assert notes[0] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "<script>alert(1)" not in page
    assert notes[1].endswith("…") and len(notes[1]) <= uploads.SAMPLE_CHARS
    assert LONG.startswith(notes[1].removesuffix("…"))
    assert notes[2] == "only a note"
    assert samples_of(page, 3) is None and "Empty in the first rows" in page
    assert 'id="col-2" name="col-2" aria-describedby="col-2-samples"' in page


def test_samples_come_from_further_than_the_preview_and_survive_a_broken_line(
    own_upload, make_user
):
    rows = "".join(f"Person {n},,\r\n" for n in range(40))
    content = f"Name,Email,Notes\r\n{rows}Late,late@example.org,\r\n".encode()
    batch = own_upload(make_user("fundraiser"), content=content)
    assert uploads.sample_values(batch)[1] == ["late@example.org"]
    # A line too long to read, after the rows the preview shows: the samples found so far.
    content = b"Name,Email\r\n" + b"Ann,\r\n" * 12 + b"Bo," + b"x" * 100_001 + b"\r\n"
    broken = own_upload(None, content=content, delimiter=",")
    assert uploads.sample_values(broken) == [["Ann"], []]


def test_a_file_broken_within_the_first_rows_shows_why_and_no_samples(client, make_user,
                                                                      own_upload):  # fmt: skip
    content = b"Name,Email\r\nAnn,ann@example.org\r\nBo," + b"x" * 100_001 + b"\r\n"
    user = make_user("fundraiser")
    batch = own_upload(user, content=content, delimiter=",")
    client.login_as(user)
    page = client.get(f"/imports/{batch.id}/map").text
    assert re.search(r"<li>Line 3 is [\d,]+ characters long", page)
    assert samples_of(page, 0) is None and "In the file" not in page and "Empty in" not in page


def test_the_preview_lists_problem_rows_and_links_to_them(client, make_user, own_upload):
    user = make_user("fundraiser")
    batch = own_upload(user)
    client.login_as(user)
    page = client.get(f"/imports/{batch.id}/map").text
    assert "2 of these 5 rows have problems and would be left out of the import" in page
    for line in (3, 5):
        assert f'<a href="#preview-line-{line}">line {line}</a>' in page
        assert f'id="preview-line-{line}" tabindex="-1"' in page
    assert "1 problem; the row would be left out:" in page
    assert "<li>“not-an-email” is not an email address.</li>" in page
    assert 'role="region" aria-label="The first rows, scrolling sideways" tabindex="0"' in page


# --- discarding ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ImportStatus.UPLOADED, ImportStatus.CHECKED,
                                    ImportStatus.FAILED])  # fmt: skip
def test_the_uploader_discards_an_upload_never_imported(client, make_user, own_upload, db,
                                                         status):  # fmt: skip
    user = make_user("fundraiser")
    batch = own_upload(user, status)
    db.session.add(ImportRejection(batch_id=batch.id, line=3, reason="x", values=["a"]))
    db.session.commit()
    batch_id, path = batch.id, batches.file_path(batch)
    client.login_as(user)
    listing = client.get("/imports/").text
    assert f'action="/imports/{batch_id}/discard"' in listing
    assert f'<span class="visually-hidden"> import #{batch_id}, file.csv</span>' in listing

    response = client.form(f"/imports/{batch_id}/discard")
    assert response.status_code == 302 and response.headers["Location"] == "/imports/"
    assert db.session.get(ImportBatch, batch_id) is None
    assert not os.path.exists(path)
    assert db.session.scalars(select(ImportRejection)).all() == []
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "import_discarded")
    ).one()
    assert (event.entity_id, event.actor_id) == (batch_id, user.id)
    assert f"Discarded import #{batch_id} (file.csv)" in client.get("/imports/").text


def test_the_batch_page_offers_the_discard_only_when_it_can_be_done(client, make_user,
                                                                    own_upload):  # fmt: skip
    user = make_user("fundraiser")
    client.login_as(user)
    waiting, done = own_upload(user), own_upload(user, ImportStatus.DONE)
    assert "Discard this upload" in client.get(f"/imports/{waiting.id}").text
    assert "Discard this upload" in client.get(f"/imports/{waiting.id}/map").text
    assert "Discard this upload" not in client.get(f"/imports/{done.id}").text
    listing = client.get("/imports/").text
    assert f"/imports/{waiting.id}/discard" in listing
    assert f"/imports/{done.id}/discard" not in listing


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ImportStatus.DONE, "was imported, so it cannot be discarded: undo it instead."),
        (ImportStatus.UNDONE, "was imported, so it cannot be discarded: it is kept as a record."),
        (ImportStatus.RUNNING, "is being read right now"),
        (ImportStatus.CHECKING, "is being read right now"),
        (ImportStatus.UNDOING, "is being read right now"),
    ],
)
def test_a_batch_imported_or_being_read_is_not_discarded(client, make_user, own_upload, db,
                                                         status, message):  # fmt: skip
    user = make_user("fundraiser")
    batch = own_upload(user, status)
    client.login_as(user)
    response = client.form(f"/imports/{batch.id}/discard")
    assert response.headers["Location"] == f"/imports/{batch.id}"
    assert message in client.get(f"/imports/{batch.id}").text
    assert db.session.get(ImportBatch, batch.id).status == status
    assert stored(batch)


def change(batch):
    return ImportChange(batch_id=batch.id, entity="contact", action="created", entity_ids=[1])


def unmatched_refund(batch):
    """Money the file says went back, to no gift the import found: on the books until linked."""
    return UnmatchedRefund(batch_id=batch.id, system="lgl", transaction_id="r1", line=2,
                           amount_cents=500, currency="USD", refunded_at=utcnow())  # fmt: skip


@pytest.mark.parametrize("written", [change, unmatched_refund])
def test_a_failed_batch_that_left_writes_behind_is_not_discarded(client, make_user, own_upload,
                                                                 db, written):  # fmt: skip
    user = make_user("fundraiser")
    batch = own_upload(user, ImportStatus.FAILED)
    db.session.add(written(batch))
    db.session.commit()
    assert uploads.discard_stale(0, dry_run=True)[0] == 0  # nor by the retention command
    client.login_as(user)
    client.form(f"/imports/{batch.id}/discard")
    page = client.get(f"/imports/{batch.id}").text
    assert "has written records, so it cannot be discarded" in page
    assert db.session.get(ImportBatch, batch.id) is not None and stored(batch)


def test_only_the_uploader_or_an_admin_discards(client, make_user, own_upload, db):
    owner, other = make_user("fundraiser", name="Ola Owner"), make_user("fundraiser")
    batch = own_upload(owner)
    batch_id, path = batch.id, batches.file_path(batch)
    client.login_as(other)
    assert f"/imports/{batch.id}/discard" not in client.get("/imports/").text
    client.form(f"/imports/{batch.id}/discard")
    page = client.get(f"/imports/{batch.id}").text
    assert f"Only Ola Owner, who uploaded import #{batch.id}, or an admin can discard it." in page
    assert db.session.get(ImportBatch, batch.id) is not None and stored(batch)

    admin = make_user("admin")
    client.login_as(admin)
    client.form(f"/imports/{batch_id}/discard")
    assert db.session.get(ImportBatch, batch_id) is None and not os.path.exists(path)


def test_a_batch_discarded_meanwhile_is_said_to_be_gone(client, make_user, own_upload, db):
    user = make_user("fundraiser")
    batch = own_upload(user)
    batch_id, path = batch.id, batches.file_path(batch)
    with db.engine.begin() as other_tab:
        other_tab.execute(delete(ImportBatch).where(ImportBatch.id == batch_id))
    with pytest.raises(uploads.DiscardRefused, match=f"Import #{batch_id} has been discarded"):
        uploads.discard(batch, user)
    db.session.rollback()
    assert os.path.exists(path)  # the other request removes it once its deletion is committed


def test_discarding_needs_the_role_the_token_and_a_real_batch(client, make_user, own_upload, db):
    batch = own_upload(make_user("fundraiser"))
    client.login_as(make_user("coordinator"))
    assert client.form(f"/imports/{batch.id}/discard").status_code == 403
    client.login_as(make_user("admin"))
    assert client.post(f"/imports/{batch.id}/discard").status_code == 400
    assert client.form("/imports/999999/discard").status_code == 404
    assert batch_count(db) == 1 and stored(batch)


# --- the retention command ------------------------------------------------------------------


def test_retention_discards_stale_uploads_never_imported(runner, make_user, own_upload, db):
    user = make_user("fundraiser")
    old = utcnow() - timedelta(days=20)
    stale = own_upload(user)
    checked_long_ago = own_upload(user, ImportStatus.CHECKED)
    checked_lately = own_upload(user, ImportStatus.CHECKED)
    fresh = own_upload(user)
    imported = own_upload(user, ImportStatus.DONE)
    for batch in (stale, checked_long_ago, checked_lately, imported):
        batch.created_at = old
    checked_long_ago.finished_at = old
    checked_lately.finished_at = utcnow() - timedelta(days=2)
    db.session.commit()
    ids = {b.id for b in (stale, checked_long_ago)}
    paths = [batches.file_path(b) for b in (stale, checked_long_ago)]

    dry = runner.invoke(args=["crm", "retention", "--dry-run"])
    assert dry.exit_code == 0 and "2 stale upload(s) would be discarded" in dry.output
    assert batch_count(db) == 5 and all(os.path.exists(p) for p in paths)

    real = runner.invoke(args=["crm", "retention"])
    assert real.exit_code == 0 and "discarded 2 stale upload(s)" in real.output
    db.session.expire_all()
    left = set(db.session.scalars(select(ImportBatch.id)))
    assert left == {checked_lately.id, fresh.id, imported.id} and not left & ids
    assert not any(os.path.exists(p) for p in paths)
    assert stored(fresh) and stored(checked_lately)

    shorter = runner.invoke(args=["crm", "retention", "--stale-days", "1"])
    assert "discarded 1 stale upload(s)" in shorter.output
    assert set(db.session.scalars(select(ImportBatch.id))) == {fresh.id, imported.id}
    refused = runner.invoke(args=["crm", "retention", "--stale-days", "0"])
    assert refused.exit_code != 0 and batch_count(db) == 2


def test_retention_removes_old_files_no_batch_names(runner, make_user, own_upload, app):
    kept = own_upload(make_user("fundraiser"))
    with app.app_context():
        folder = batches.upload_dir()
    for leftover in set(folder.iterdir()) - {Path(batches.file_path(kept))}:
        leftover.unlink()  # other tests' files: the folder holds only this test's
    old, fresh = folder / ("0" * 32 + ".csv"), folder / ("f" * 32 + ".csv")
    for path in (old, fresh):
        path.write_bytes(b"Name\r\nAnn\r\n")
    # times by the application's clock (which a test run may have moved), not the disk's
    just_now, long_ago = ((utcnow() - timedelta(days=d)).timestamp() for d in (0, 20))
    os.utime(fresh, (just_now, just_now))
    for path in (old, batches.file_path(kept)):
        os.utime(path, (long_ago, long_ago))

    dry = runner.invoke(args=["crm", "retention", "--dry-run"])
    assert "1 orphaned file(s) removed" in dry.output and old.exists()
    real = runner.invoke(args=["crm", "retention"])
    assert real.exit_code == 0 and "and 1 orphaned file(s)" in real.output
    assert not old.exists() and fresh.exists() and stored(kept)
    fresh.unlink()
