"""Leases for long jobs: whoever works on something long (an import batch, a year's
statements) holds a lease on it, named by a key, and renews it as it makes progress. A lease
that is not renewed in time means its holder died (kill -9, a crash, a machine gone): the next
one to look may take the work over, to resume it or to take back what it wrote.

A renewal runs in the holder's own transaction, just before it commits a step: if the lease
was taken over meanwhile, the renewal fails and the step is rolled back, so a holder that was
only slow (not dead) can never write after someone else has taken over its work.
"""

import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from secrets import token_hex

from flask import current_app
from sqlalchemy import String, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from crm.extensions import db
from crm.modelbase import UTCDateTime, utcnow


class JobLease(db.Model):
    """Who holds the lease on a piece of work, and until when."""

    __tablename__ = "job_leases"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)  # "import:42"
    owner: Mapped[str] = mapped_column(String(120))  # host:pid:random
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<JobLease {self.key} {self.owner} until {self.expires_at:%H:%M:%S}>"

    @property
    def holder(self) -> str:
        host, pid, _ = (self.owner.split(":") + ["", ""])[:3]
        return f"process {pid} on {host}"


class LeaseHeld(RuntimeError):
    """Someone alive holds the lease."""

    def __init__(self, lease: JobLease | None):
        self.lease = lease
        seen = f", last seen {lease.renewed_at:%Y-%m-%d %H:%M:%S} UTC" if lease else ""
        who = f" ({lease.holder}{seen})" if lease else ""
        super().__init__(f"Another process is working on this{who}.")


class LeaseLost(RuntimeError):
    """The lease expired and was taken over: stop, and write nothing more."""


def lease_time() -> timedelta:
    return timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])


@dataclass
class Lease:
    """A lease this process holds."""

    key: str
    owner: str
    ttl: timedelta
    renewed: float  # time.monotonic() of the last renewal
    previous: JobLease | None = None  # the expired lease this one took over, if any

    def renew(self, session: Session | None = None, force: bool = False) -> None:
        """Renew in `session`'s transaction (the step about to be committed); cheap to call
        often: it writes only when a quarter of the lease time has gone by."""
        if not force and time.monotonic() - self.renewed < self.ttl.total_seconds() / 4:
            return
        now = utcnow()
        renewed = (
            (session or db.session)
            .execute(
                update(JobLease)
                .where(JobLease.key == self.key, JobLease.owner == self.owner)
                .values(renewed_at=now, expires_at=now + self.ttl)
                .execution_options(synchronize_session=False)
            )
            .rowcount
        )
        if not renewed:
            raise LeaseLost(f"The lease on {self.key} was taken over by another process.")
        self.renewed = time.monotonic()

    def release(self) -> None:
        with db.engine.begin() as conn:
            conn.execute(
                delete(JobLease).where(JobLease.key == self.key, JobLease.owner == self.owner)
            )


def acquire(key: str, ttl: timedelta | None = None) -> Lease:
    """Take the lease on `key` if nobody holds it or its holder stopped renewing it; raise
    LeaseHeld otherwise. Committed at once, in a transaction of its own."""
    ttl = ttl or lease_time()
    owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{token_hex(4)}"
    now = utcnow()
    values = {"owner": owner, "acquired_at": now, "renewed_at": now, "expires_at": now + ttl}
    previous = find(key)
    with db.engine.begin() as conn:  # an expired lease is taken over
        taken = conn.execute(
            update(JobLease).where(JobLease.key == key, JobLease.expires_at <= now).values(**values)
        ).rowcount
    if not taken:  # none, or a live one: the key is unique, so only one insert succeeds
        previous = None
        try:
            with db.engine.begin() as conn:
                conn.execute(insert(JobLease).values(key=key, **values))
        except IntegrityError:
            raise LeaseHeld(find(key)) from None
    return Lease(key, owner, ttl, time.monotonic(), previous)


def find(key: str) -> JobLease | None:
    with Session(db.engine, expire_on_commit=False) as session:
        return session.scalar(select(JobLease).where(JobLease.key == key))


def expired(key: str, now: datetime | None = None) -> bool:
    """True when a lease on `key` exists and its holder stopped renewing it in time."""
    lease = find(key)
    return lease is not None and lease.expires_at <= (now or utcnow())
