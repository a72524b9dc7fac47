"""Who may be shown by name on the insights pages, and who may be ranked.

Deactivated (`Member.deleted`) and erased (`Member.forgotten_at`) people are never named; people
who opted out of leaderboards, bots, and anyone not named are never ranked.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.among import among
from app.store.models import Member


def shown_names(session: Session, team_id: str, ids: Collection[str]) -> dict[str, str]:
    """The shown names of the named people among `ids`: deactivated and erased people have none."""
    return {user: name for user, name, _ in _named(session, team_id, ids)}


def ranked_names(session: Session, team_id: str, ids: Collection[str]) -> dict[str, str]:
    """The shown names of the people among `ids` who may appear in a ranking: named, not a bot,
    and not opted out of leaderboards."""
    return {user: name for user, name, ranked in _named(session, team_id, ids) if ranked}


def _named(session: Session, team_id: str, ids: Collection[str]) -> list[tuple[str, str, bool]]:
    """(user, shown name, may be ranked) of the named people among `ids`, in one statement."""
    if not ids:
        return []
    dialect = session.get_bind().dialect.name
    query = select(
        Member.user_id,
        Member.display_name,
        Member.real_name,
        Member.name,
        Member.is_bot,
        Member.leaderboard_opt_out,
    ).where(
        Member.team_id == team_id,
        among(dialect, Member.user_id, "ids"),
        Member.deleted.is_(False),
        Member.forgotten_at.is_(None),
    )
    found = []
    for user, display, real, handle, bot, opted_out in session.connection().execute(
        query, {"ids": ids}
    ):
        shown = display or real or handle
        if shown:
            found.append((user, shown, not bot and not opted_out))
    return found
