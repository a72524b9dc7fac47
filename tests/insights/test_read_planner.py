"""The insights reads' planner settings hold inside the block and are put back after it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.insights.network import help_network
from app.insights.planner import index_reads
from app.store.db import SessionFactory
from tests.insights.rows import NOW, THIS_WEEK

NAMES = ("jit", "max_parallel_workers_per_gather", "enable_hashjoin", "enable_mergejoin")


def settings(session: Session) -> tuple[str, ...]:
    query = "SELECT " + ", ".join(f"current_setting('{name}')" for name in NAMES)
    return tuple(session.execute(text(query)).one())


@pytest.mark.postgres
def test_settings_hold_in_the_block_and_are_restored(sessions: SessionFactory) -> None:
    with sessions() as session:
        session.execute(text("SELECT set_config('max_parallel_workers_per_gather', '3', true)"))
        before = settings(session)
        assert before[1:] == ("3", "on", "on")
        with index_reads(session):
            assert settings(session) == ("off", "0", "off", "off")
        assert settings(session) == before
        help_network(session, "T1", THIS_WEEK, NOW)
        assert settings(session) == before
