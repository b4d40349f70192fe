"""What makes a mailing's send survive a killed worker: one sender at a time (a lease on the
mailing, renewed with each batch) and a journal of what the SMTP server already took.

The recipients' rows say what is left to send, but they are written once per batch; the
journal is a file per batch that gets a line the moment the server answers for a message
(one write() to the kernel, so it survives `kill -9`). A new sender that finds a batch left
by a dead one reads its journal: what the server took is recorded as sent, and only the rest
goes back in the queue. The one moment not covered is between the server's reply and that
write, a few microseconds: SMTP has no way to ask a server whether it took a message.
Workers on several machines need the journal directory on storage they share."""

import os
import socket
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

from crm.modelbase import utcnow
from crm.outreach.models import Mailing, MailingStatus


def _start_time(pid: int) -> str:
    """When the process started (Linux), so that a reused pid is not taken for the old one."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def identity() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def is_dead(owner: str) -> bool:
    """Whether the owner is a process on this machine that is gone (else: unknown)."""
    host, _, rest = owner.partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return bool(started) and _start_time(int(pid)) != started


def lease_seconds() -> int:
    return current_app.config["MAILING_LEASE_SECONDS"]


def acquire(session, mailing_id: int, me: str) -> bool:
    """Take the mailing if nobody live holds it; commits."""
    row = session.execute(
        select(Mailing.sender, Mailing.heartbeat_at, Mailing.status).where(Mailing.id == mailing_id)
    ).one_or_none()
    if row is None or row.status != MailingStatus.SENDING:
        return False
    holder = row.sender
    stale = row.heartbeat_at is None or row.heartbeat_at < utcnow() - timedelta(
        seconds=lease_seconds()
    )
    if holder not in (None, me) and not stale and not is_dead(holder):
        return False
    same_holder = Mailing.sender.is_(None) if holder is None else Mailing.sender == holder
    taken = session.execute(
        update(Mailing)
        .where(Mailing.id == mailing_id, same_holder, Mailing.status == MailingStatus.SENDING)
        .values(sender=me, heartbeat_at=utcnow())
    ).rowcount
    session.commit()
    return taken == 1


def renew(session, mailing_id: int, me: str) -> None:
    session.execute(
        update(Mailing).where(Mailing.id == mailing_id, Mailing.sender == me)
        .values(heartbeat_at=utcnow())
    )  # fmt: skip


def release(session, mailing_id: int, me: str) -> None:
    session.execute(
        update(Mailing).where(Mailing.id == mailing_id, Mailing.sender == me)
        .values(sender=None, heartbeat_at=None)
    )  # fmt: skip
    session.commit()


# --- the journal -------------------------------------------------------------------------------


def _folder() -> Path:
    folder = Path(current_app.config["MAILING_JOURNAL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(claim: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in claim)
    return _folder() / f"{safe}.journal"


class Journal:
    """Lines "<recipient id> <outcome> <detail>" appended as the server answers."""

    def __init__(self, claim: str):
        self.path = _path(claim)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def write(self, recipient_id: int, outcome: str, detail: str = "") -> None:
        line = f"{recipient_id} {outcome} {' '.join(detail.split())[:400]}\n"
        os.write(self.fd, line.encode())

    def close(self, remove: bool) -> None:
        os.close(self.fd)
        if remove:
            self.path.unlink(missing_ok=True)


def read_journal(claim: str) -> dict[int, tuple[str, str]]:
    """{recipient id: (outcome, detail)} of a dead sender's batch; the file is left in place
    until its rows are recorded (`forget`)."""
    path = _path(claim)
    outcomes = {}
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            number, _, rest = line.partition(" ")
            outcome, _, detail = rest.partition(" ")
            if number.isdigit() and outcome:
                outcomes[int(number)] = (outcome, detail)
    return outcomes


def forget(claim: str) -> None:
    _path(claim).unlink(missing_ok=True)
