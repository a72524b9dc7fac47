"""An engine on a test database that already holds installed workspaces: the starting point of
the store's tests that run statements straight on the engine, without a bot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, insert

from app.store.db import make_engine
from app.store.models import Workspace

INSTALLED_AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@contextmanager
def engine_with_workspaces(database_url: str, *team_ids: str) -> Iterator[Engine]:
    """An engine on `database_url` whose database holds an installed workspace (named after its
    id, in UTC) for each of `team_ids`; disposed of afterwards."""
    built = make_engine(database_url)
    with built.begin() as connection:
        connection.execute(
            insert(Workspace),
            [
                {
                    "team_id": team_id,
                    "name": team_id,
                    "active": True,
                    "installed_at": INSTALLED_AT,
                    "timezone": "UTC",
                }
                for team_id in team_ids
            ],
        )
    try:
        yield built
    finally:
        built.dispose()
