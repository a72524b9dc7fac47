"""Who is asking: the session's member, re-checked against the directory on every request."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import zone
from app.signin.handout import refusal
from app.signin.sessions import SignedIn, close_session, find_session
from app.store.models import Member, Workspace


class Turnaway(enum.StrEnum):
    """Why a request gets no page."""

    # No cookie, or one naming no live session (forged, expired, signed out).
    NO_SESSION = "no_session"
    # The member is unknown, deactivated in Slack or erased: the session was closed.
    DEPARTED = "departed"
    # The bot is no longer installed in the session's workspace: the session was closed.
    UNINSTALLED = "uninstalled"


@dataclass(frozen=True)
class Visitor:
    """A signed-in member in good standing, with what the pages need to know of them."""

    team_id: str
    team_name: str
    user_id: str
    name: str
    is_admin: bool
    csrf_token: str
    expires_at: datetime
    tz: ZoneInfo


def admit(session: Session, secret: str, now: datetime) -> Visitor | Turnaway:
    """Return the visitor the cookie's secret signs in, or why it signs in nobody; a session
    whose member left or whose workspace uninstalled the bot is closed on the way."""
    signed_in = find_session(session, secret, now) if secret else None
    if signed_in is None:
        return Turnaway.NO_SESSION
    workspace = session.get(Workspace, signed_in.team_id)
    if workspace is None or not workspace.active:
        close_session(session, secret)
        return Turnaway.UNINSTALLED
    member = session.get(Member, (signed_in.team_id, signed_in.user_id))
    if not in_good_standing(member):
        close_session(session, secret)
        return Turnaway.DEPARTED
    assert member is not None
    return _visitor(signed_in, workspace, member)


def in_good_standing(member: Member | None) -> bool:
    """Whether `member` may use the site: known, a person, not deactivated, not erased."""
    return refusal(member) is None


def member_of(session: Session, team_id: str, user_id: str) -> Member | None:
    """Return the directory's entry for the person, or None."""
    return session.get(Member, (team_id, user_id))


def unranked(session: Session, team_id: str) -> frozenset[str]:
    """Return the workspace's people who opted out of leaderboards."""
    return frozenset(
        session.scalars(
            select(Member.user_id).where(
                Member.team_id == team_id, Member.leaderboard_opt_out.is_(True)
            )
        )
    )


def _visitor(signed_in: SignedIn, workspace: Workspace, member: Member) -> Visitor:
    return Visitor(
        team_id=signed_in.team_id,
        team_name=workspace.name or workspace.team_id,
        user_id=signed_in.user_id,
        name=member.shown_name or member.user_id,
        is_admin=member.is_admin,
        csrf_token=signed_in.csrf_token,
        expires_at=signed_in.expires_at,
        tz=zone(workspace.timezone),
    )
