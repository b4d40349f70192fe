"""Signed, per-recipient links and addresses. Nothing is stored: the link carries the
recipient's id and a signature with the application's secret, one salt per purpose, so a
click link cannot be turned into an unsubscribe link or another person's.

Links use itsdangerous. Addresses (the bounce address per message, VERP, and the mailto
unsubscribe) carry a short hex signature instead: mail systems may fold the case of a local
part, which a base64 signature would not survive."""

import hashlib
import hmac

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

PURPOSES = ("unsubscribe", "preferences", "click", "open")


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=f"crm.outreach.{purpose}")


def sign(purpose: str, value) -> str:
    return _serializer(purpose).dumps(value)


def read(purpose: str, token: str):
    """The signed value, or None for anything forged, cut or made for another purpose."""
    try:
        return _serializer(purpose).loads(token)
    except (BadSignature, ValueError, TypeError, UnicodeDecodeError):
        return None


# --- addresses ---------------------------------------------------------------------------------


def _digest(purpose: str, recipient_id: int) -> str:
    key = current_app.secret_key.encode()
    message = f"crm.outreach.{purpose}.{recipient_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def _address(setting: str) -> tuple[str, str]:
    local, _, domain = current_app.config[setting].rpartition("@")
    return local, domain


def address(purpose: str, setting: str, recipient_id: int) -> str:
    """`bounces+123-1a2b3c4d5e6f7a8b@example.org` for recipient 123."""
    local, domain = _address(setting)
    return f"{local}+{recipient_id}-{_digest(purpose, recipient_id)}@{domain}"


def read_address(purpose: str, setting: str, text: str) -> int | None:
    """The recipient id of an address made by `address`, or None."""
    local, domain = _address(setting)
    mailbox, _, at = (text or "").strip().strip("<>").lower().rpartition("@")
    prefix = local.lower() + "+"
    if at != domain.lower() or not mailbox.startswith(prefix):
        return None
    number, _, signature = mailbox[len(prefix) :].partition("-")
    if not number.isdigit() or len(number) > 12:
        return None
    ok = hmac.compare_digest(signature, _digest(purpose, int(number)))
    return int(number) if ok else None
