"""Secrets handed to a browser, and the only form in which the store keeps them."""

from __future__ import annotations

import hashlib
import secrets

# 256 bits: guessing one is out of reach, so a secret whose hash is stored is as unforgeable as
# a signature, and unlike a signature it can be spent (a link) or revoked (a session).
SECRET_BYTES = 32


def new_secret() -> str:
    """Return a fresh URL-safe secret of `SECRET_BYTES` random bytes."""
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    """Return the stored form of `secret`: its SHA-256 in hex (64 characters)."""
    return hashlib.sha256(secret.encode("utf-8", errors="replace")).hexdigest()


def looks_like_secret(value: str) -> bool:
    """Whether `value` has the shape of a secret from `new_secret` (cheap refusal of junk)."""
    return 20 <= len(value) <= 100 and all(c.isalnum() or c in "-_" for c in value)
