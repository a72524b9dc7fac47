"""`reciprocity digest` and `reciprocity nudge` from the command line: preview, post once,
and one clear line for a wrong argument."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from app.directory.service import save_members
from app.kudos import service as kudos
from app.store.db import make_engine, make_session_factory, transaction
from app.store.models import OutboxMessage, Workspace
from app.workspaces.service import Identity, ensure_workspace

ROOT = Path(__file__).resolve().parents[2]
# The CLI reads the real clock: week 2026-W48's Monday is never in its future.
MONDAY = datetime(2026, 11, 23, 15, tzinfo=UTC)


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _setup(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), MONDAY)
        session.get_one(Workspace, "T1").digest_channel_id = "CDIGEST"
        save_members(
            session,
            "T1",
            [{"id": "UANA", "name": "ana"}, {"id": "UBEN", "name": "ben"}],
            MONDAY,
        )
        given = kudos.give(
            session,
            kudos.KudosRequest(
                team_id="T1",
                giver_id="UANA",
                recipients=("UBEN",),
                message="thanks for pairing on the flaky test",
                where=kudos.Where("C1", is_private=False, is_dm=False, bot_is_member=True),
            ),
            MONDAY,
        )
        assert isinstance(given, kudos.Given)
    engine.dispose()


def test_digest_previews_then_posts_once(database_url: str) -> None:
    _setup(database_url)
    preview = _cli(database_url, "digest", "--team", "T1", "--week", "2026-W48", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert "Who helped whom, week 2026-W48" in preview.stdout
    assert "flaky test" in preview.stdout
    posted = _cli(database_url, "digest", "--team", "T1", "--week", "2026-W48")
    assert (posted.returncode, posted.stdout.strip()) == (
        0,
        "digest for 2026-W48 queued; a delivery worker posts it",
    )
    again = _cli(database_url, "digest", "--team", "T1", "--week", "2026-W48")
    assert "already posted: nothing changed" in again.stdout
    engine = make_engine(database_url, pool_size=1)
    with engine.connect() as connection:
        keys = connection.scalars(select(OutboxMessage.dedupe_key)).all()
    engine.dispose()
    assert [k for k in keys if k.startswith("digest:")] == ["digest:2026-W48"]


def test_wrong_arguments_get_one_line(database_url: str) -> None:
    _setup(database_url)
    week = _cli(database_url, "digest", "--team", "T1", "--week", "week 48", "--dry-run")
    assert week.returncode == 2
    assert week.stderr.strip().startswith("reciprocity: --week: not a week: 'week 48'")
    assert len(week.stderr.strip().splitlines()) == 1
    team = _cli(database_url, "digest", "--team", "TNOPE", "--dry-run")
    assert (team.returncode, team.stderr.strip()) == (
        2,
        "reciprocity: --team: no workspace TNOPE is installed here",
    )


def test_nudge_runs_a_pass_and_says_what_it_did(database_url: str) -> None:
    _setup(database_url)
    result = _cli(database_url, "nudge", "--team", "T1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("nudge pass: 0 asks looked at")
