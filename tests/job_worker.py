"""Processes for tests that kill one with SIGKILL half-way through a long job.

The background worker (the Huey consumer of `flask crm worker`, with its real tasks):

    python -m tests.job_worker DATABASE_URL JOBS_FILE LEASE_SECONDS CHUNK_ROWS

Imports are cut into small chunks, so that a kill finds some committed and some not. The
minute jobs (sweeps, recovery) do not run here: the test decides when to look.

The `flask crm` commands, on the test database named by the environment:

    JOB_TEST_DATABASE_URL=... JOB_TEST_JOBS_FILE=... JOB_TEST_LEASE_SECONDS=2 \
    flask --app "tests.job_worker:cli_app()" crm statements --year 2025
"""

import os
import sys

from config import TestingConfig


def worker_config(database_url: str, jobs_file: str, lease_seconds: int):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        JOBS_SQLITE_PATH = jobs_file
        JOBS_IMMEDIATE = False
        JOB_LEASE_SECONDS = lease_seconds

    return Config


def cli_app():
    from crm import create_app

    env = os.environ
    return create_app(worker_config(env["JOB_TEST_DATABASE_URL"], env["JOB_TEST_JOBS_FILE"],
                                    int(env["JOB_TEST_LEASE_SECONDS"])))  # fmt: skip


if __name__ == "__main__":
    from crm import create_app
    from crm.dataio import batches

    url, jobs_file, lease_seconds, chunk_rows = sys.argv[1:5]
    batches.CHUNK_ROWS = int(chunk_rows)
    app = create_app(worker_config(url, jobs_file, int(lease_seconds)))
    huey = app.extensions["huey"]
    huey.create_consumer(workers=1, worker_type="thread", periodic=False).run()
