"""Web sessions: a signed-in browser holds a secret; the store keeps its hash, person and expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.signin.tokens import digest, looks_like_secret, new_secret
from app.store.models import WebSession

# A working day: long enough for a look around, short enough that a shared machine forgets.
SESSION_LIFETIME = timedelta(hours=8)


@dataclass(frozen=True)
class SignedIn:
    """A live session: who it is, the CSRF token its forms must carry, and when it ends."""

    team_id: str
    user_id: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class NewSession:
    """A session just opened: `secret` goes in the cookie, and only there."""

    secret: str
    signed_in: SignedIn


def open_session(
    session: Session, team_id: str, user_id: str, method: str, now: datetime
) -> NewSession:
    """Record a session for the person, signed in by `method` ("link" or "oidc"), and return it."""
    secret = new_secret()
    csrf = new_secret()
    expires = now + SESSION_LIFETIME
    session.add(
        WebSession(
            token_hash=digest(secret),
            team_id=team_id,
            user_id=user_id,
            csrf_token=csrf,
            method=method,
            created_at=now,
            expires_at=expires,
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    return NewSession(secret, SignedIn(team_id, user_id, csrf, expires))


def find_session(session: Session, secret: str, now: datetime) -> SignedIn | None:
    """Return the live session the cookie's secret names, or None (unknown, forged or expired)."""
    if not looks_like_secret(secret):
        return None
    row = session.scalar(select(WebSession).where(WebSession.token_hash == digest(secret)))
    if row is None or row.expires_at <= now:
        return None
    return SignedIn(row.team_id, row.user_id, row.csrf_token, row.expires_at)


def close_session(session: Session, secret: str) -> None:
    """Forget the session the cookie's secret names (signing out); unknown secrets are ignored."""
    if looks_like_secret(secret):
        session.execute(delete(WebSession).where(WebSession.token_hash == digest(secret)))
