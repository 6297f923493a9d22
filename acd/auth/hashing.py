"""Password hashes (Argon2id) and random tokens, kept at rest only as their SHA-256.

A token is 32 random bytes (256 bits): far beyond guessing, so a fast hash at rest is enough
(a stolen table gives nothing usable) and a lookup is one indexed equality.  Passwords are
chosen by people and need the slow, memory-hard Argon2id."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "acd_"  # so a leaked token is recognisable in a scan

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id, RFC 9106 low-memory


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if password.strip() != password:
        return "a password may not start or end with whitespace"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the user does not exist, so a login takes as long either way and the
# timing does not tell which usernames exist.
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_secret: str) -> str:
    """A session's CSRF token: derived from the cookie's secret, so only the session's own
    pages (which read it from GET /api/session) know it, and nothing needs storing, or can
    reach a log through a statement's parameters."""
    return hmac.new(session_secret.encode(), b"acd-csrf", hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
