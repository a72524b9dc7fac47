"""`DirectorySync`: an incomplete sync is retried later, going on from its cursor, until it is
complete; only then is it logged as synced. And the same through the server's start-up."""

from __future__ import annotations

import logging

import pytest

from app.clock import ManualClock
from app.directory.slack_lookup import PAGE_ATTEMPTS, STOPPED, SlackLookup, SyncResult
from app.directory.sync import RETRY_DELAYS, DirectorySync
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import SessionFactory
from tests.conftest import BOT_TOKEN, bot_settings
from tests.directory.conftest import START, TEAM, Waits, member_ids

LOGGER = "app.directory.sync"


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    """The directory sync's log lines as (level, message)."""
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == LOGGER]


def test_an_incomplete_sync_is_retried_until_complete_and_only_then_logged_as_synced(
    slack: SlackStandIn,
    sessions: SessionFactory,
    lookup: SlackLookup,
    crowd: set[str],
    waits: Waits,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    # Two attempts fail: Slack refuses the first outright, and the second at every try at its
    # first page; the third gets through.
    slack.fail_next("users.list", error="missing_scope")
    slack.fail_next("users.list", status=500, times=PAGE_ATTEMPTS)
    sync = DirectorySync(lookup, sessions, ManualClock(START), wait=waits)
    results = sync.run([TEAM])
    assert results == {TEAM: SyncResult(complete=True, people=len(crowd))}
    assert sync.results[TEAM].complete
    assert member_ids(sessions) == crowd
    # Between attempts it waited the first two retry delays (the rest are page backoffs).
    retries = [w for w in waits.asked if w in RETRY_DELAYS]
    assert retries == list(RETRY_DELAYS[:2])
    logged = lines(caplog)
    warnings = [m for level, m in logged if level == logging.WARNING]
    assert len(warnings) == 2
    assert all(f"{TEAM} is incomplete (0 people so far" in m for m in warnings)
    assert "missing_scope" in warnings[0]
    assert f"retrying in {RETRY_DELAYS[0]:.0f} s" in warnings[0]
    assert "HTTP 500" in warnings[1]
    assert f"retrying in {RETRY_DELAYS[1]:.0f} s" in warnings[1]
    synced = [m for _, m in logged if "synced" in m]
    assert synced == [f"member directory of {TEAM} synced: {len(crowd)} people"]
    assert logged[-1] == (logging.INFO, synced[0])


def test_a_sync_stopped_while_incomplete_is_never_logged_as_synced(
    slack: SlackStandIn,
    sessions: SessionFactory,
    lookup: SlackLookup,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    slack.fail_next("users.list", status=503, times=100)
    # The process stops during the first wait between attempts.
    waits = Waits(stop_after=PAGE_ATTEMPTS)
    results = DirectorySync(lookup, sessions, ManualClock(START), wait=waits).run([TEAM])
    assert not results[TEAM].complete
    assert waits.asked[-1] == RETRY_DELAYS[0]
    assert len(slack.calls_to("users.list")) == PAGE_ATTEMPTS
    assert not any("synced" in m for _, m in lines(caplog))


def test_a_stop_during_retry_after_ends_the_sync_without_a_retry_or_a_warning(
    slack: SlackStandIn,
    sessions: SessionFactory,
    lookup: SlackLookup,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    slack.fail_next("users.list", status=429, retry_after=20)
    waits = Waits(stop_after=1)
    results = DirectorySync(lookup, sessions, ManualClock(START), wait=waits).run([TEAM])
    assert results[TEAM] == SyncResult(complete=False, people=0, cursor="", reason=STOPPED)
    assert waits.asked == [20.0]
    assert len(slack.calls_to("users.list")) == 1
    assert lines(caplog) == []


def test_a_workspace_that_refuses_the_token_is_not_retried(
    slack: SlackStandIn,
    sessions: SessionFactory,
    lookup: SlackLookup,
    waits: Waits,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    slack.revoke_token(BOT_TOKEN)
    results = DirectorySync(lookup, sessions, ManualClock(START), wait=waits).run([TEAM])
    assert results[TEAM] == SyncResult(complete=False, people=0, cursor="", reason="token_revoked")
    assert waits.asked == []
    assert len(slack.calls_to("users.list")) == 1
    ((level, message),) = lines(caplog)
    assert level == logging.WARNING
    assert "incomplete" in message
    assert "not retried" in message


@pytest.fixture
def server_waits() -> Waits:
    """What the server's directory sync waits for, recorded instead of slept."""
    return Waits()


def test_start_up_reports_the_directory_synced_only_once_it_is_complete(
    database_url: str,
    slack: SlackStandIn,
    crowd: set[str],
    server_waits: Waits,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    # The first attempt at start-up fails; a 429 meets the retry; the retry still completes.
    slack.fail_next("users.list", status=502, times=PAGE_ATTEMPTS)
    slack.fail_next("users.list", status=429, retry_after=3)
    server = BotServer(
        bot_settings(database_url, slack),
        host="127.0.0.1",
        port=0,
        with_worker=False,
        directory_wait=server_waits,
    ).start()
    try:
        assert server.directory.join(timeout=60)
        assert server.directory.results == {TEAM: SyncResult(complete=True, people=len(crowd))}
        assert member_ids(server.runtime.sessions) == crowd
    finally:
        server.stop()
    assert RETRY_DELAYS[0] in server_waits.asked
    assert 3.0 in server_waits.asked
    logged = lines(caplog)
    assert [level for level, _ in logged] == [logging.WARNING, logging.INFO]
    assert "incomplete (0 people so far" in logged[0][1]
    assert logged[1][1] == f"member directory of {TEAM} synced: {len(crowd)} people"


def test_start_up_with_slack_refusing_users_list_records_the_sync_as_incomplete(
    database_url: str, slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    slack.fail_next("users.list", status=500, times=1000)
    # The server is stopped during the first wait before a retry.
    waits = Waits(stop_after=PAGE_ATTEMPTS)
    server = BotServer(
        bot_settings(database_url, slack),
        host="127.0.0.1",
        port=0,
        with_worker=False,
        directory_wait=waits,
    ).start()
    try:
        assert server.directory.join(timeout=60)
        result = server.directory.results[TEAM]
    finally:
        server.stop()
    assert (result.complete, result.people, result.cursor) == (False, 0, "")
    logged = lines(caplog)
    assert len(logged) == 1
    assert logged[0][0] == logging.WARNING
    assert "incomplete" in logged[0][1]
    assert not any("synced" in m for _, m in logged)
