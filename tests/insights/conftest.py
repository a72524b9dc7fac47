"""The insights tests' database: two workspaces and a handful of people (see rows.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.directory.service import save_members
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Channel, Member, Workspace
from app.workspaces.service import Identity, ensure_workspace
from tests.insights.rows import LONG_AGO, PEOPLE


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    """Workspaces T1 (New York) and T2 (UTC), with `PEOPLE` in T1 and Ana's namesake in T2."""
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        for team in ("T1", "T2"):
            ensure_workspace(session, Identity(team, team, "UBOT", "BBOT"), LONG_AGO)
        session.get_one(Workspace, "T1").timezone = "America/New_York"
        users = [{"id": u, "name": n.lower(), "real_name": n} for u, n in PEOPLE.items()]
        save_members(session, "T1", users, LONG_AGO)
        save_members(session, "T2", users, LONG_AGO)
        session.get_one(Member, ("T1", "UGONE")).deleted = True
        session.get_one(Member, ("T1", "UHIDE")).leaderboard_opt_out = True
        erased = session.get_one(Member, ("T1", "UERASED"))
        erased.name = erased.real_name = erased.display_name = ""
        erased.forgotten_at = LONG_AGO
        session.get_one(Member, ("T1", "UBOT2")).is_bot = True
        for channel, name, private in (("C1", "general", False), ("C2", "design", False)):
            session.add(
                Channel(
                    team_id="T1",
                    channel_id=channel,
                    name=name,
                    is_private=private,
                    updated_at=LONG_AGO,
                )
            )
        session.add(
            Channel(
                team_id="T1", channel_id="G1", name="secret", is_private=True, updated_at=LONG_AGO
            )
        )
    yield factory
    engine.dispose()
