"""A worker killed with SIGKILL in the middle of a mailing, and another one started: every
recipient gets the message exactly once. Real processes: the worker (`flask crm worker`),
and an SMTP server that holds one message until its sender is gone, so the kill falls where
it hurts most: a batch half sent, its outcomes not yet written to the database."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.extensions import db as _db
from crm.outreach import mailings
from crm.outreach.models import Mailing, MailingRecipient, MailingStatus, RecipientStatus
from tests.outreach.sinks import Sink
from tests.outreach.test_sending import _tag_condition

ROOT = Path(__file__).resolve().parents[2]
PEOPLE, BATCH, HOLD_AT = 120, 50, 75  # the 75th message is the 25th of the second batch


def start_worker(app, folder: Path, port: int, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "CRM_CONFIG": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "CRM_INSTANCE_PATH": str(folder / "instance"),
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAILING_RATE": "0",
        "MAILING_BATCH_SIZE": str(BATCH),
        "MAILING_JOURNAL_DIR": str(folder / "journal"),
        "REDIS_URL": "",
        "FLASK_APP": "crm:create_app",
        "PYTHONPATH": str(ROOT),
    }
    with (folder / f"{name}.log").open("wb") as output:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "crm", "worker", "--workers", "1"],
            env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _counts(mailing_id: int) -> dict:
    counts = dict(_db.session.execute(
        select(MailingRecipient.status, func.count())
        .where(MailingRecipient.mailing_id == mailing_id).group_by(MailingRecipient.status)
    ).all())  # fmt: skip
    _db.session.rollback()  # hold no snapshot (or SQLite lock) while the worker writes
    return counts


def _status(mailing_id: int) -> MailingStatus:
    status = _db.session.scalar(select(Mailing.status).where(Mailing.id == mailing_id))
    _db.session.rollback()
    return status


@pytest.fixture
def stop_later():
    processes = []
    yield processes.append
    for process in processes:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()


def test_a_worker_killed_mid_batch_leaves_no_duplicate_and_no_gap(
    app, db, tmp_path, stop_later, make_contact, make_segment, make_mailing, make_user
):
    for n in range(PEOPLE):
        make_contact(email=f"person{n:03d}@example.net", email_opt_in=True, tags=["parents"])
    user = make_user("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    mailings.send_now(mailing, user)
    _db.session.commit()
    mailing_id = mailing.id

    sink = Sink(tmp_path, "--hold-at", str(HOLD_AT))
    try:
        first = start_worker(app, tmp_path, sink.port, "first")
        stop_later(first)
        wait_for(sink.held.exists, 60, f"the {HOLD_AT}th message")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL

        taken = sink.accepted()
        assert len(taken) == HOLD_AT - 1  # the held one was not taken: its sender vanished
        counts = _counts(mailing_id)
        assert counts.get(RecipientStatus.SENT) == BATCH  # only the first batch was written
        assert counts.get(RecipientStatus.SENDING) == BATCH  # the second: claimed, half sent
        assert list((tmp_path / "journal").glob("*.journal"))  # ... and journalled

        second = start_worker(app, tmp_path, sink.port, "second")
        stop_later(second)
        wait_for(lambda: _status(mailing_id) == MailingStatus.SENT, 60, "the send to finish")
    finally:
        sink.stop()

    received = Counter(sink.accepted())
    assert len(received) == PEOPLE  # no gap
    assert [email for email, n in received.items() if n > 1] == []  # no duplicate
    assert _counts(mailing_id) == {RecipientStatus.SENT: PEOPLE}
    assert not list((tmp_path / "journal").glob("*.journal"))
