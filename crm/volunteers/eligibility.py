"""Who may be placed on which shift, and why not, in words.

A credential counts for a shift only if it was passed and is still valid when the shift ENDS:
`expires_on` is the first day it no longer counts, from midnight in the organisation's time
zone. Youth-facing shifts always need a background check and safeguarding training; when an
admin has removed either type, nobody can be placed on them (the rule fails closed)."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from crm.extensions import db
from crm.formats import format_date
from crm.volunteers.models import Credential, CredentialStatus, CredentialType, Shift, Volunteer

BACKGROUND_CHECK = "background_check"
SAFEGUARDING = "safeguarding_training"
YOUTH_FACING_KEYS = (BACKGROUND_CHECK, SAFEGUARDING)
YOUTH_FACING_NAMES = {BACKGROUND_CHECK: "background check", SAFEGUARDING: "safeguarding training"}


def org_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ORG_TIMEZONE"])


def local_today(now: datetime) -> date:
    return now.astimezone(org_zone()).date()


def expiry_moment(expires_on: date) -> datetime:
    """The instant a credential stops counting: the start of its expiry day, locally."""
    return datetime.combine(expires_on, time(0), tzinfo=org_zone())


def valid_through(credential: Credential, moment: datetime) -> bool:
    if credential.status != CredentialStatus.PASSED:
        return False
    return credential.expires_on is None or moment <= expiry_moment(credential.expires_on)


def spoken_date(day: date, today: date | None = None) -> str:
    return format_date(day, "long" if today is None or day.year != today.year else "month_day")


def youth_facing_types() -> list[CredentialType]:
    """The built-in types every youth-facing shift needs (those set up)."""
    return list(
        db.session.scalars(select(CredentialType).where(CredentialType.key.in_(YOUTH_FACING_KEYS)))
    )


def required_types(
    shift: Shift, youth_types: list[CredentialType] | None = None
) -> tuple[list[CredentialType], list[str]]:
    """The credential types a shift needs, and the names of built-in types that are missing.
    `youth_types`: `youth_facing_types()` read once for a list of shifts."""
    needed = {t.id: t for t in shift.required_types}
    missing = []
    if shift.youth_facing:
        found = youth_facing_types() if youth_types is None else youth_types
        for credential_type in found:
            needed.setdefault(credential_type.id, credential_type)
        known = {t.key for t in found}
        missing = [YOUTH_FACING_NAMES[k] for k in YOUTH_FACING_KEYS if k not in known]
    return sorted(needed.values(), key=lambda t: t.name), missing


def best_credential(volunteer: Volunteer, credential_type: CredentialType) -> Credential | None:
    """The volunteer's credential of this type that lasts longest (passed ones first)."""
    held = [c for c in volunteer.credentials if c.type_id == credential_type.id]
    if not held:
        return None

    def rank(c: Credential):
        return (c.status == CredentialStatus.PASSED, c.expires_on or date.max, c.id)

    return max(held, key=rank)


def problems(
    volunteer: Volunteer,
    shift: Shift,
    *,
    now: datetime,
    whose: str = "your",
    youth_types: list[CredentialType] | None = None,
) -> list[str]:
    """Every reason the volunteer cannot take the shift, as sentences; empty if they can.
    `whose` is "your" for the volunteer, or a possessive name for coordinators."""
    reasons = []
    if not volunteer.active:
        reasons.append("This volunteer is not active." if whose != "your" else
                       "Your volunteer profile is not active; ask a coordinator.")  # fmt: skip
    types, missing = required_types(shift, youth_types)
    for name in missing:
        reasons.append(
            f"This shift works with young people and needs a {name}, but no {name} type is "
            "set up. An admin must add it before anyone can be placed."
        )
    today = local_today(now)
    for credential_type in types:
        reason = _credential_reason(volunteer, credential_type, shift, today, whose)
        if reason:
            reasons.append(reason)
    return reasons


def _credential_reason(volunteer, credential_type, shift, today, whose) -> str | None:
    name = credential_type.name[0].lower() + credential_type.name[1:]
    whose = whose[0].upper() + whose[1:]
    credential = best_credential(volunteer, credential_type)
    if credential is None:
        return f"{whose} {name} is not on record yet."
    if credential.status == CredentialStatus.PENDING:
        return f"{whose} {name} is still pending."
    if credential.status == CredentialStatus.FAILED:
        return f"{whose} {name} was not passed."
    if credential.expires_on is None or valid_through(credential, shift.ends_at):
        return None
    when = spoken_date(credential.expires_on, today)
    if credential.expires_on <= today or credential.status == CredentialStatus.EXPIRED:
        return f"{whose} {name} expired on {when}."
    if expiry_moment(credential.expires_on) <= shift.starts_at:
        return f"{whose} {name} expires on {when}, before this shift."
    return f"{whose} {name} expires on {when}, before this shift ends."
