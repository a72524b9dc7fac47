"""One-time sign-in links: handed to one person in Slack, valid for minutes, spent once."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.signin.tokens import digest, looks_like_secret, new_secret
from app.store.models import SignInLink

# Long enough to switch from Slack to a browser, short enough that a link found later is dead.
LINK_LIFETIME = timedelta(minutes=10)
# Spent and expired links are kept this long, so a late click reads "already used", not "unknown".
KEPT_AFTER_EXPIRY = timedelta(days=1)


class LinkProblem(enum.StrEnum):
    """Why a link does not sign anyone in."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class LinkHolder:
    """The Slack identity a valid link was issued to."""

    team_id: str
    user_id: str


def issue(session: Session, team_id: str, user_id: str, now: datetime) -> str:
    """Record a new link for the person and return its secret (the only copy: put it in a URL)."""
    secret = new_secret()
    session.add(
        SignInLink(
            token_hash=digest(secret),
            team_id=team_id,
            user_id=user_id,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    # Housekeeping rides on issuing: links are few, and this keeps the table small.
    session.execute(delete(SignInLink).where(SignInLink.expires_at < now - KEPT_AFTER_EXPIRY))
    return secret


def check(session: Session, secret: str, now: datetime) -> LinkHolder | LinkProblem:
    """Return whom the link would sign in, or why it would not, without spending it."""
    link = _find(session, secret)
    if link is None:
        return LinkProblem.UNKNOWN
    if link.used_at is not None:
        return LinkProblem.USED
    if link.expires_at <= now:
        return LinkProblem.EXPIRED
    return LinkHolder(link.team_id, link.user_id)


def redeem(session: Session, secret: str, now: datetime) -> LinkHolder | LinkProblem:
    """Spend the link and return whom it signs in, or why it does not; of two concurrent
    redemptions exactly one succeeds (one conditional UPDATE)."""
    if not looks_like_secret(secret):
        return LinkProblem.UNKNOWN
    spent = session.execute(
        update(SignInLink)
        .where(
            SignInLink.token_hash == digest(secret),
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(SignInLink.team_id, SignInLink.user_id)
    ).first()
    if spent is not None:
        return LinkHolder(spent.team_id, spent.user_id)
    problem = check(session, secret, now)
    return problem if isinstance(problem, LinkProblem) else LinkProblem.USED


def _find(session: Session, secret: str) -> SignInLink | None:
    if not looks_like_secret(secret):
        return None
    return session.scalar(select(SignInLink).where(SignInLink.token_hash == digest(secret)))
