"""Handing a sign-in link to the person who asked for one in Slack, and to nobody else."""

from __future__ import annotations

import enum
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from app.signin import links
from app.store.models import Member

# Where a link lands on the site; the site's sign-in page spends it (app/site).
SIGNIN_PATH = "/insights/signin"


class HandoutRefused(enum.StrEnum):
    """Why a person gets no link."""

    UNKNOWN = "unknown"
    BOT = "bot"
    DEACTIVATED = "deactivated"
    FORGOTTEN = "forgotten"


def signin_url(public_url: str, secret: str) -> str:
    """The URL that signs in with the link whose secret is `secret`, on the site at `public_url`."""
    return f"{public_url.rstrip('/')}{SIGNIN_PATH}?{urlencode({'token': secret})}"


def hand_out(
    session: Session, member: Member | None, public_url: str, now: datetime
) -> str | HandoutRefused:
    """Issue a fresh one-time link for `member` (the person who asked, as the directory knows
    them) and return its URL, or why they may not sign in."""
    refused = refusal(member)
    if refused is not None:
        return refused
    assert member is not None
    return signin_url(public_url, links.issue(session, member.team_id, member.user_id, now))


def refusal(member: Member | None) -> HandoutRefused | None:
    """Why the person `member` is (the directory's entry, or None) may not sign in to the
    insights page, by a link or with Slack; None when they may."""
    if member is None:
        return HandoutRefused.UNKNOWN
    if member.forgotten_at is not None:
        return HandoutRefused.FORGOTTEN
    if member.deleted:
        return HandoutRefused.DEACTIVATED
    if member.is_bot:
        return HandoutRefused.BOT
    return None
