"""Accounts: creating users, passwords, sign-in, sessions, tokens and two-factor codes.

Services add and flush; the caller commits.
"""

import hashlib
import logging
from datetime import datetime, timedelta

import pyotp
from flask import current_app
from sqlalchemy import delete, func, select

from crm.audit.services import record_event
from crm.auth.models import ActionToken, TokenPurpose, User, UserSession
from crm.auth.passwords import check_password_policy, hash_password, needs_rehash, verify_password
from crm.auth.roles import Role
from crm.auth.tokens import hash_token, new_token
from crm.extensions import db
from crm.mail.services import queue_email
from crm.modelbase import utcnow

log = logging.getLogger("crm.auth")


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message is for the user."""


class InvalidToken(AccountError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, name: str, role: Role, password: str | None = None) -> User:
    email = normalise_email(email)
    if get_user_by_email(email) is not None:
        raise AccountError("A user with this email address already exists.")
    user = User(email=email, name=name.strip(), role=Role(role), active=True)
    if password is not None:
        check_password_policy(password, email=email, name=name)
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str, ip: str | None) -> User | None:
    """Check a sign-in attempt and log it either way (never the password)."""
    user = get_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user.is_active:
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        log.info("sign-in success user_id=%s ip=%s", user.id, ip)
        record_event("sign_in", "User", user.id, {"ip": ip}, actor_id=user.id)
        return user
    reason = "inactive" if ok else "bad credentials"
    who = f"user_id={user.id}" if user else f"unknown account {_fingerprint(email)}"
    log.warning("sign-in failure %s ip=%s reason=%s", who, ip, reason)
    record_event(
        "sign_in_failed",
        "User",
        user.id if user else None,
        {"ip": ip, "reason": reason, **({} if user else {"account": _fingerprint(email)})},
        actor_id=None,
    )
    return None


def _fingerprint(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()[:12]


# --- sessions -------------------------------------------------------------------------


def start_session(user: User, ip: str | None, user_agent: str | None) -> str:
    token, token_hash = new_token()
    db.session.add(
        UserSession(
            user=user, token_hash=token_hash, ip_address=ip, user_agent=(user_agent or "")[:255]
        )
    )
    user.last_login_at = utcnow()
    db.session.flush()
    return token


def find_session(user_id: int, token: str | None) -> UserSession | None:
    if not token:
        return None
    record = db.session.scalar(
        select(UserSession).where(
            UserSession.token_hash == hash_token(token), UserSession.user_id == user_id
        )
    )
    if record is None or not record.user.is_active:
        return None
    idle = timedelta(seconds=current_app.config["SESSION_IDLE_TIMEOUT"])
    if utcnow() - record.last_seen_at > idle:
        db.session.delete(record)
        return None
    return record


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == hash_token(token)))


def end_all_sessions(user: User) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


# --- passwords and tokens ---------------------------------------------------------------


def set_password(user: User, password: str) -> None:
    """Set a new password and end every session the user had."""
    check_password_policy(password, email=user.email, name=user.name)
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    record_event("password_changed", "User", user.id, {})


def verify_password_of(user: User, password: str) -> bool:
    return verify_password(user.password_hash, password)


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError("Your current password is not correct.")
    set_password(user, new)


def issue_token(user: User, purpose: TokenPurpose) -> str:
    max_age = (
        current_app.config["INVITE_MAX_AGE"]
        if purpose == TokenPurpose.INVITE
        else current_app.config["PASSWORD_RESET_MAX_AGE"]
    )
    # A new link replaces any earlier one for the same purpose.
    db.session.execute(
        delete(ActionToken).where(
            ActionToken.user_id == user.id,
            ActionToken.purpose == purpose,
            ActionToken.used_at.is_(None),
        )
    )
    token, token_hash = new_token()
    db.session.add(
        ActionToken(
            user=user,
            purpose=purpose,
            token_hash=token_hash,
            expires_at=utcnow() + timedelta(seconds=max_age),
        )
    )
    db.session.flush()
    return token


def check_token(token: str, purpose: TokenPurpose) -> ActionToken:
    record = db.session.scalar(
        select(ActionToken).where(
            ActionToken.token_hash == hash_token(token), ActionToken.purpose == purpose
        )
    )
    if record is None or record.used_at is not None:
        raise InvalidToken("This link is not valid or has already been used.")
    if record.expires_at < utcnow():
        raise InvalidToken("This link has expired. Ask for a new one.")
    if not record.user.active:
        raise InvalidToken("This account is deactivated.")
    return record


def redeem_token(token: str, purpose: TokenPurpose, password: str) -> User:
    record = check_token(token, purpose)
    set_password(record.user, password)
    record.used_at = utcnow()
    return record.user


def request_password_reset(email: str) -> None:
    """Email a reset link if the account exists; say nothing either way."""
    user = get_user_by_email(email)
    if user is None or not user.active:
        log.info("password reset asked for unknown or inactive account %s", _fingerprint(email))
        return
    token = issue_token(user, TokenPurpose.PASSWORD_RESET)
    queue_email(
        to=user.email,
        template="auth/email/reset_password",
        subject="Reset your password",
        user=user,
        place=account_place(user),
        url=external_url(f"/auth/reset/{token}"),
        hours=current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600,
    )


def invite_user(email: str, name: str, role: Role, invited_by: User) -> User:
    user = create_user(email, name, role)
    send_invitation(user, invited_by)
    return user


def account_place(user: User) -> str:
    """What an account's emails call the place it signs in to: "CRM" is staff wording."""
    return "volunteer portal" if user.role == Role.VOLUNTEER else "CRM"


def send_invitation(user: User, invited_by: User) -> None:
    """Email a link to set a first password; an earlier link stops working."""
    if user.password_hash is not None:
        raise AccountError(f"{user.name} has already accepted the invitation.")
    token = issue_token(user, TokenPurpose.INVITE)
    queue_email(
        to=user.email,
        template="auth/email/invite",
        subject=f"You're invited to the {current_app.config['ORG_NAME']} {account_place(user)}",
        user=user,
        place=account_place(user),
        invited_by=invited_by,
        url=external_url(f"/auth/invite/{token}"),
        days=current_app.config["INVITE_MAX_AGE"] // 86400,
    )


def external_url(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


# --- administration -----------------------------------------------------------------------


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active)
    )


def change_role(user: User, role: Role) -> None:
    if user.role == Role.ADMIN and role != Role.ADMIN and _active_admins() <= 1:
        raise AccountError("This is the last active admin; make someone else admin first.")
    user.role = Role(role)
    end_all_sessions(user)  # the new role applies from the next sign-in


def set_active(user: User, active: bool, actor: User) -> None:
    if not active:
        if user.id == actor.id:
            raise AccountError("You cannot deactivate your own account.")
        if user.role == Role.ADMIN and _active_admins() <= 1:
            raise AccountError("This is the last active admin.")
        end_all_sessions(user)
    user.active = active


# --- two-factor (TOTP) ------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    issuer = current_app.config["ORG_NAME"] + " CRM"
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _matching_counter(secret: str, code: str, at: datetime | None = None) -> int | None:
    """The time-step counter the code belongs to (one step of clock drift allowed)."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = at or utcnow()
    for offset in (0, -1, 1):
        moment = now + timedelta(seconds=offset * totp.interval)
        if totp.verify(code, for_time=moment, valid_window=0):
            return totp.timecode(moment)
    return None


def enable_totp(user: User, secret: str, code: str) -> None:
    counter = _matching_counter(secret, code)
    if counter is None:
        raise AccountError("That code is not right. Check the time on your phone and try again.")
    user.totp_secret = secret
    user.totp_last_counter = counter
    record_event("two_factor_enabled", "User", user.id, {})


def verify_totp(user: User, code: str) -> bool:
    """Accept each code once: a code already used (or an older one) is refused."""
    counter = _matching_counter(user.totp_secret or "", code) if user.totp_secret else None
    if counter is None or (
        user.totp_last_counter is not None and counter <= user.totp_last_counter
    ):
        return False
    user.totp_last_counter = counter
    return True


def disable_totp(user: User) -> None:
    user.totp_secret = None
    user.totp_last_counter = None
    record_event("two_factor_disabled", "User", user.id, {})
