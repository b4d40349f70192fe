"""`flask crm statements` killed with SIGKILL half-way: its lease holds until it runs out,
then the next run takes over and carries on, and every donor is emailed exactly once. A run
started while another one is alive is refused."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from crm import leases
from crm.donations.models import YearEndStatement
from crm.extensions import db as _db
from crm.mail.models import OutboundEmail

YEAR, DONORS, LEASE_SECONDS = 2025, 100, 2


def give(make_contact, make_donation, donors: int) -> None:
    for n in range(donors):
        donor = make_contact(first_name=f"Donor{n}", email=f"donor{n}@example.org")
        make_donation(donor, 1000 + n, received_at=datetime(YEAR, 3, 1 + n % 28, 17, tzinfo=UTC))


@pytest.fixture
def many_donors(db, make_contact, make_donation):
    give(make_contact, make_donation, DONORS)


def statements_command(app, tmp_path) -> tuple[list[str], dict]:
    env = {**os.environ, "JOB_TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "JOB_TEST_JOBS_FILE": str(tmp_path / "jobs.sqlite3"),
           "JOB_TEST_LEASE_SECONDS": str(LEASE_SECONDS)}  # fmt: skip
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    args = [flask, "--app", "tests.job_worker:cli_app()", "crm", "statements", "--year", str(YEAR)]
    return args, env


def emailed() -> int:
    _db.session.expire_all()
    query = select(func.count()).select_from(YearEndStatement)
    return _db.session.scalar(query.where(YearEndStatement.emailed_at.is_not(None)))


def test_a_killed_run_is_refused_while_alive_then_taken_over(app, many_donors, tmp_path):
    args, env = statements_command(app, tmp_path)
    first = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not 10 <= emailed() < DONORS - 10:
        assert time.monotonic() < deadline and first.poll() is None, "the run did not get going"
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    stopped_at = emailed()
    assert 0 < stopped_at < DONORS
    assert leases.find(f"statements:{YEAR}") is not None  # left behind by the killed run

    with pytest.raises(leases.LeaseHeld):  # until its lease runs out, nobody takes over
        leases.acquire(f"statements:{YEAR}")

    time.sleep(LEASE_SECONDS + 0.5)
    third = subprocess.run(args, env=env, capture_output=True, text=True)
    assert third.returncode == 0, third.stderr
    assert "An earlier run stopped half-way" in third.stdout
    assert f"already emailed before: {stopped_at}" in third.stdout
    assert emailed() == DONORS
    sent = Counter(_db.session.scalars(select(OutboundEmail.to_address)))
    assert len(sent) == DONORS and set(sent.values()) == {1}  # each donor exactly once
    assert leases.find(f"statements:{YEAR}") is None


def test_a_second_run_is_refused_while_the_first_is_alive(runner, make_contact, make_donation):
    give(make_contact, make_donation, 3)
    alive = leases.acquire(f"statements:{YEAR}")
    result = runner.invoke(args=["crm", "statements", "--year", str(YEAR)])
    assert result.exit_code != 0 and "is going already" in result.output
    assert emailed() == 0
    alive.release()
    result = runner.invoke(args=["crm", "statements", "--year", str(YEAR)])
    assert result.exit_code == 0 and emailed() == 3
    assert "An earlier run" not in result.output
