"""Random secrets that travel by URL or cookie; the database keeps only their SHA-256."""

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """Return (token to hand out, hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
