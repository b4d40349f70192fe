"""Leases of long jobs: one holder at a time, taken over only once expired, and a holder that
lost its lease cannot commit another step."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from crm import leases
from crm.dataio import batches, recovery
from crm.dataio.models import ImportBatch, ImportKind, ImportStatus
from crm.leases import JobLease
from crm.modelbase import utcnow

TTL = timedelta(seconds=60)


def later(seconds: float):
    return time_machine.travel(utcnow() + timedelta(seconds=seconds), tick=False)


def test_one_holder_at_a_time(db):
    first = leases.acquire("job:1", TTL)
    with pytest.raises(leases.LeaseHeld, match=r"process \d+ on "):
        leases.acquire("job:1", TTL)
    assert leases.acquire("job:2", TTL).key == "job:2"  # other work is free
    first.release()
    assert leases.acquire("job:1", TTL).previous is None


def test_an_expired_lease_is_taken_over_and_its_holder_stopped(db):
    dead = leases.acquire("job:1", TTL)
    assert not leases.expired("job:1")
    with later(61):
        assert leases.expired("job:1")
        taker = leases.acquire("job:1", TTL)
        assert taker.previous.owner == dead.owner
        with pytest.raises(leases.LeaseLost):  # the old holder wakes up: it may not go on
            dead.renew(db.session, force=True)
        db.session.rollback()
        taker.renew(db.session, force=True)
        db.session.commit()
    dead.release()  # releasing a lease it lost leaves the new holder's alone
    assert db.session.scalar(select(JobLease.owner)) == taker.owner


def test_renewal_is_part_of_the_step_it_guards(db):
    lease = leases.acquire("job:1", TTL)
    with later(30):
        lease.renew(db.session, force=True)
        db.session.rollback()  # the step failed: its renewal did not happen either
        assert leases.find("job:1").expires_at < utcnow() + timedelta(seconds=31)
    with later(20):
        lease.renew(db.session)  # within a quarter of the lease time: nothing written
    assert lease.renewed


@pytest.mark.parametrize(
    ("status", "finished", "after", "queued_undo"),
    [
        (ImportStatus.CHECKING, False, ImportStatus.FAILED, False),
        (ImportStatus.RUNNING, False, ImportStatus.FAILED, True),  # taken back, then failed
        (ImportStatus.UNDOING, True, ImportStatus.DONE, False),  # nothing was undone
        (ImportStatus.UNDOING, False, ImportStatus.FAILED, True),  # undone again
    ],
)
def test_every_busy_state_of_a_dead_worker_is_taken_over(db, status, finished, after,
                                                         queued_undo, monkeypatch):  # fmt: skip
    import io

    queued = []
    monkeypatch.setattr(recovery, "enqueue", lambda name, *args: queued.append(name))
    batch = batches.create_batch(ImportKind.CONTACTS, io.BytesIO(b"First Name,Email\nA,a@b.org\n"),
                                 "a.csv", "auto", "auto", None)  # fmt: skip
    batch.status, batch.rows_done, batch.rows_total = status, 1, 2
    batch.finished_at = utcnow() if finished else None
    db.session.commit()
    leases.acquire(batches.lease_key(batch), TTL)  # the worker that will die
    assert recovery.recover_stalled() == 0  # alive: left alone
    with later(61):
        assert recovery.recover_stalled() == 1
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    if queued_undo:
        assert queued == ["undo_import"] and batch.status == ImportStatus.UNDOING
        batches.undo(batch.id)
        db.session.expire_all()
        batch = db.session.get(ImportBatch, batch.id)
    assert batch.status == after and "worker stopped" in batch.error
    assert leases.find(batches.lease_key(batch)) is None


def unreachable(name, *args):
    raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_job_the_queue_cannot_take_leaves_its_batch_free(signed_in, db, monkeypatch):
    """Redis down when an import starts: the batch is not left waiting for a job that was
    never queued."""
    import io

    client, user = signed_in("fundraiser")
    batch = batches.create_batch(ImportKind.CONTACTS, io.BytesIO(b"First Name,Email\nA,a@b.org\n"),
                                 "a.csv", "auto", "auto", user)  # fmt: skip
    db.session.commit()
    monkeypatch.setattr(recovery, "enqueue", unreachable)
    assert client.form(f"/imports/{batch.id}/run", {"dry_run": "1"}).status_code == 302
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.status == ImportStatus.FAILED and "queue could not be reached" in batch.error
    assert "Run the dry run again" in client.get(f"/imports/{batch.id}").text


def test_a_taken_over_batch_whose_undo_cannot_be_queued_is_tried_again(db, monkeypatch):
    import io

    batch = batches.create_batch(ImportKind.CONTACTS, io.BytesIO(b"First Name,Email\nA,a@b.org\n"),
                                 "a.csv", "auto", "auto", None)  # fmt: skip
    batch.status = ImportStatus.RUNNING
    db.session.commit()
    leases.acquire(batches.lease_key(batch), TTL)
    monkeypatch.setattr(recovery, "enqueue", unreachable)
    with later(61):
        assert recovery.recover_stalled() == 1
    assert leases.find(batches.lease_key(batch)) is not None  # kept: it runs out again
    queued = []
    monkeypatch.setattr(recovery, "enqueue", lambda name, *args: queued.append(name))
    with later(200):
        assert recovery.recover_stalled() == 1
    assert queued == ["undo_import"] and leases.find(batches.lease_key(batch)) is None
