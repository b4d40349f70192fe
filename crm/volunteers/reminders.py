"""The periodic run (`flask crm volunteer-reminders`): close forgotten check-outs, expire
lapsed credentials and take their holders off shifts they no longer qualify for, warn of
credentials expiring soon, and remind volunteers of their shifts.

Each email is claimed with a conditional UPDATE before it is queued, so two overlapping runs
cannot both send it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from crm.extensions import db
from crm.modelbase import utcnow
from crm.volunteers import hours, notify, services
from crm.volunteers.eligibility import local_today
from crm.volunteers.models import (
    Credential,
    CredentialStatus,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
)


@dataclass
class RunReport:
    closed: int = 0
    lapsed: int = 0
    removed: int = 0
    warned: int = 0
    reminded: int = 0


def run(now: datetime | None = None) -> RunReport:
    now = now or utcnow()
    report = RunReport()
    report.closed = len(hours.close_forgotten(now))
    report.lapsed, report.removed = expire_lapsed(now)
    report.warned = send_expiry_warnings(now)
    report.reminded = send_shift_reminders(now)
    return report


def expire_lapsed(now: datetime) -> tuple[int, int]:
    """Mark passed credentials whose expiry date has come as expired, tell their holders,
    and take them off the future shifts they no longer qualify for."""
    today = local_today(now)
    lapsed = db.session.scalars(
        select(Credential).where(
            Credential.status == CredentialStatus.PASSED, Credential.expires_on <= today
        )
    ).all()
    removed = 0
    for credential in lapsed:
        claimed = db.session.execute(
            update(Credential)
            .where(Credential.id == credential.id, Credential.status == CredentialStatus.PASSED)
            .values(status=CredentialStatus.EXPIRED, lapsed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        db.session.refresh(credential)
        if credential.volunteer.email and credential.volunteer.active:
            notify.lapsed(credential)
        removed += len(services.remove_ineligible(credential.volunteer, now=now))
    return len(lapsed), removed


def send_expiry_warnings(now: datetime) -> int:
    """One email per credential and threshold (60 and 30 days by default); when a run finds a
    credential past both, only the nearer warning goes."""
    today = local_today(now)
    thresholds = sorted(current_app.config["VOLUNTEER_EXPIRY_WARNING_DAYS"])
    sent = 0
    for credential in services.expiring_credentials(max(thresholds), now):
        days_left = (credential.expires_on - today).days
        threshold = next(t for t in thresholds if days_left <= t)
        claimed = db.session.execute(
            update(Credential)
            .where(
                Credential.id == credential.id,
                or_(Credential.warned_days.is_(None), Credential.warned_days > threshold),
            )
            .values(warned_days=threshold)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed and credential.volunteer.email:
            notify.expiring(credential, threshold)
            sent += 1
    return sent


def send_shift_reminders(now: datetime) -> int:
    window = timedelta(hours=current_app.config["VOLUNTEER_REMINDER_HOURS"])
    due = db.session.scalars(
        select(Signup)
        .join(Shift)
        .join(Volunteer)
        .where(
            Shift.starts_at > now,
            Shift.starts_at <= now + window,
            Signup.status == SignupStatus.CONFIRMED,
            Signup.reminder_sent_at.is_(None),
            Volunteer.active,
        )
    ).all()
    sent = 0
    for signup in due:
        claimed = db.session.execute(
            update(Signup)
            .where(Signup.id == signup.id, Signup.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed and signup.volunteer.email:
            notify.reminder(signup)
            sent += 1
    return sent
