"""A worker killed with SIGKILL half-way through an import or a dry run: the batch is noticed
(its lease expires), taken back whole, and can be started again; nothing stays "running"."""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from config import TestingConfig
from crm import create_app
from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.dataio import batches, recovery
from crm.dataio.models import ImportBatch, ImportChange, ImportStatus
from crm.extensions import db as _db
from crm.leases import JobLease
from tests.job_worker import worker_config

ROWS, CHUNK, LEASE_SECONDS = 12_000, 300, 2


def contact_file(rows: int) -> bytes:
    lines = ["First Name,Last Name,Email,City"]
    lines += [f"Given{n},Family{n},person{n}@example.org,Town{n % 50}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def count(model) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def worker(app, db, tmp_path):
    """A real worker process on the test database, and a way to queue jobs for it."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    jobs_file = str(tmp_path / "jobs.sqlite3")
    args = [sys.executable, "-m", "tests.job_worker", url, jobs_file, str(LEASE_SECONDS),
            str(CHUNK)]  # fmt: skip
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    queue_app = create_app(worker_config(url, jobs_file, LEASE_SECONDS))
    yield process, queue_app
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    log.close()
    with queue_app.app_context():
        _db.engine.dispose()
    create_app(TestingConfig)  # the shared extensions go back to the tests' own settings


def start_in_worker(queue_app, batch_id: int, dry_run: bool) -> None:
    with queue_app.app_context():
        batch = _db.session.get(ImportBatch, batch_id)
        batches.start(batch, dry_run)
        _db.session.commit()
        queue_app.extensions["crm.jobs"]["run_import"](batch_id, dry_run)


def kill_half_way(process, batch_id: int) -> ImportBatch:
    """SIGKILL the worker once some chunks are committed and before the last."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        _db.session.expire_all()
        batch = _db.session.get(ImportBatch, batch_id)
        if batch.rows_total and 3 * CHUNK <= batch.rows_done < batch.rows_total - 3 * CHUNK:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            _db.session.expire_all()
            return _db.session.get(ImportBatch, batch_id)
        assert process.poll() is None, "the worker stopped by itself"
        time.sleep(0.01)
    raise AssertionError("the import did not get half-way within two minutes")


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry run"])
def test_a_killed_worker_leaves_nothing_stuck(worker, upload, signed_in, db, dry_run):
    process, queue_app = worker
    client, _ = signed_in(Role.FUNDRAISER)
    batch = upload(contact_file(ROWS))
    start_in_worker(queue_app, batch.id, dry_run)
    killed = kill_half_way(process, batch.id)

    # What the kill left: the batch says it is running, with part of its rows written.
    assert killed.status == (ImportStatus.CHECKING if dry_run else ImportStatus.RUNNING)
    assert 0 < killed.rows_done < ROWS
    written = count(Contact)
    assert written == 0 if dry_run else 0 < written < ROWS
    assert not recovery.stalled(killed)  # its lease has not run out yet
    time.sleep(LEASE_SECONDS + 0.5)
    assert recovery.stalled(killed)

    # Anyone opening the batch's page (or the worker's minute job) takes it over.
    page = client.get(f"/imports/{batch.id}")
    assert page.status_code == 200 and "worker stopped" in page.text
    after = _db.session.get(ImportBatch, batch.id)
    assert after.status == ImportStatus.FAILED and not after.busy
    assert client.get(f"/imports/{batch.id}/progress.json").json["busy"] is False
    assert count(Contact) == 0 and count(ImportChange) == 0  # taken back whole
    assert count(JobLease) == 0

    # ... and it can run again, to the end.
    response = client.form(f"/imports/{batch.id}/run", {"dry_run": "1" if dry_run else ""})
    assert response.status_code == 302
    done = _db.session.get(ImportBatch, batch.id)
    assert done.status == (ImportStatus.CHECKED if dry_run else ImportStatus.DONE)
    assert done.rows_done == ROWS
    assert count(Contact) == (0 if dry_run else ROWS)
