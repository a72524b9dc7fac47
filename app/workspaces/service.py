"""Plain functions over a Session that install, find and (de)activate workspaces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.store.models import Workspace
from app.store.upsert import upsert

WELCOME = (
    ":wave: Thanks for installing Reciprocity! Thank a teammate in public with "
    "`/kudos @teammate thanks for …`, ask for specific help with `/ask`, and offer what you know "
    "with `/offer topic`. Workspace admins can choose the digest channel, working hours and more "
    "with `/kudos settings`."
)


@dataclass(frozen=True)
class Identity:
    """Who the bot is in a workspace, as `auth.test` or an OAuth install reports it."""

    team_id: str
    name: str
    bot_user_id: str | None
    bot_id: str | None
    enterprise_id: str | None = None
    domain: str | None = None


def ensure_workspace(session: Session, identity: Identity, now: datetime) -> Workspace:
    """Create the workspace with default settings, or refresh its identity and reactivate it."""
    upsert(
        session,
        Workspace,
        [
            {
                "team_id": identity.team_id,
                "enterprise_id": identity.enterprise_id,
                "name": identity.name,
                "domain": identity.domain,
                "bot_user_id": identity.bot_user_id,
                "bot_id": identity.bot_id,
                "active": True,
                "installed_at": now,
                "deactivated_at": None,
            }
        ],
        key=["team_id"],
        update=[
            "enterprise_id",
            "name",
            "domain",
            "bot_user_id",
            "bot_id",
            "active",
            "deactivated_at",
        ],
    )
    session.expire_all()
    workspace = session.get(Workspace, identity.team_id)
    assert workspace is not None
    return workspace


def installed(
    session: Session, identity: Identity, installer_id: str | None, now: datetime
) -> None:
    """The app was installed: create (or refresh and reactivate) the workspace, and welcome the
    person who installed it, by DM."""
    ensure_workspace(session, identity, now)
    if installer_id:
        outbox.queue(
            session,
            team_id=identity.team_id,
            method="dm",
            args={"user": installer_id, "text": WELCOME},
            dedupe_key=f"welcome:{installer_id}:{int(now.timestamp())}",
            now=now,
        )


def get_workspace(session: Session, team_id: str) -> Workspace | None:
    """Return the workspace `team_id`, or None when it was never installed."""
    return session.get(Workspace, team_id)


def deactivate(session: Session, team_id: str, now: datetime) -> bool:
    """Mark the workspace inactive (token revoked, app uninstalled); return whether it changed."""
    result = session.execute(
        update(Workspace)
        .where(Workspace.team_id == team_id, Workspace.active.is_(True))
        .values(active=False, deactivated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def active_team_ids(session: Session) -> list[str]:
    """Return the ids of every active workspace."""
    return list(session.scalars(select(Workspace.team_id).where(Workspace.active.is_(True))))


def domain_of(url: str) -> str | None:
    """The workspace's subdomain ("acme") from the URL `auth.test` answers, or None."""
    host = urlsplit(url).hostname or ""
    return host.removesuffix(".slack.com") if host.endswith(".slack.com") else None
