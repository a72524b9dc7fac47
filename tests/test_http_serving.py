"""The bot over real HTTP against the stand-in: Slack's signature rules, health, start-up."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer, StartupError
from app.store.db import make_session_factory
from app.store.models import Workspace
from tests.conftest import BOT_TOKEN, bot_settings


@pytest.fixture
def slack_mode() -> str:
    """Signatures, raw bodies and the request URL are HTTP matters: these tests run over HTTP."""
    return "http"


def test_start_up_learns_the_workspace_from_auth_test(bot: BotServer, slack: SlackStandIn) -> None:
    calls = slack.calls_to("auth.test")
    assert len(calls) == 1
    assert calls[0].token == BOT_TOKEN
    with make_session_factory(bot.runtime.engine)() as session:
        workspace = session.scalars(select(Workspace)).one()
    assert (workspace.team_id, workspace.name, workspace.bot_user_id) == ("T0001", "Acme", "UBOT")
    assert workspace.active
    assert workspace.timezone == "UTC"


def test_a_signed_request_is_accepted(driver: SlackDriver) -> None:
    response = driver.event(
        payloads.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    )
    assert response.status_code == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.text


def test_a_badly_signed_request_is_rejected(driver: SlackDriver) -> None:
    response = driver.event(payloads.url_verification("abc"), bad_signature=True)
    assert response.status_code == 401
    assert "abc" not in response.text


def test_a_replayed_request_older_than_five_minutes_is_rejected(driver: SlackDriver) -> None:
    stale = int(time.time()) - 6 * 60
    response = driver.event(payloads.url_verification("abc"), timestamp=stale)
    assert response.status_code == 401


def test_a_request_within_five_minutes_is_accepted(driver: SlackDriver) -> None:
    recent = int(time.time()) - 4 * 60
    response = driver.event(payloads.url_verification("abc"), timestamp=recent)
    assert response.status_code == 200


def test_an_oversized_body_is_refused_before_bolt(bot: BotServer) -> None:
    response = httpx.post(f"{bot.url}/slack/events", content=b"x" * 1_100_000, timeout=10)
    assert response.status_code == 413


def test_healthz_is_green_while_the_database_answers(bot: BotServer) -> None:
    response = httpx.get(f"{bot.url}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": "ok"}


def test_healthz_fails_while_the_database_is_unreachable(bot: BotServer, database_url: str) -> None:
    with _database_unreachable(bot, database_url):
        response = httpx.get(f"{bot.url}/healthz", timeout=10)
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"
    assert httpx.get(f"{bot.url}/healthz", timeout=10).status_code == 200


class _database_unreachable:  # noqa: N801 - used as a context manager, reads as a phrase
    """Makes the bot's database refuse connections, and restores it on exit."""

    def __init__(self, bot: BotServer, database_url: str) -> None:
        self.bot = bot
        self.url = make_url(database_url)

    def __enter__(self) -> None:
        if self.url.get_backend_name() == "sqlite":
            path = Path(str(self.url.database))
            self.moved = path.with_suffix(".away")
            shutil.move(path, self.moved)
            # A directory where the file was: SQLite cannot open it. A thread of the bot that
            # connects in between creates an empty file there first: it goes, and we try again.
            for _ in range(50):
                for suffix in ("-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                try:
                    path.mkdir()
                    break
                except FileExistsError:
                    path.unlink(missing_ok=True)
            else:
                raise AssertionError(f"{path} kept being created again")
            # Only now: the worker may have opened a connection to the old file meanwhile.
            self.bot.runtime.engine.dispose()
        else:
            self._admin(
                f'ALTER DATABASE "{self.url.database}" ALLOW_CONNECTIONS false',
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{self.url.database}' AND pid <> pg_backend_pid()",
            )

    def __exit__(self, *_: object) -> None:
        if self.url.get_backend_name() == "sqlite":
            path = Path(str(self.url.database))
            path.rmdir()
            shutil.move(self.moved, path)
        else:
            self._admin(f'ALTER DATABASE "{self.url.database}" ALLOW_CONNECTIONS true')
        # Last: a background thread may have connected (to an empty new file) in between.
        self.bot.runtime.engine.dispose()

    def _admin(self, *statements: str) -> None:
        engine = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()


def test_start_up_stops_with_one_line_when_slack_refuses_the_token(
    database_url: str, slack: SlackStandIn
) -> None:
    slack.revoke_token(BOT_TOKEN)
    with pytest.raises(
        StartupError, match=r"^SLACK_BOT_TOKEN was refused by Slack \(token_revoked\)$"
    ):
        BotServer(bot_settings(database_url, slack), host="127.0.0.1", port=0)


def test_metrics_are_served_as_prometheus_text(bot: BotServer) -> None:
    response = httpx.get(f"{bot.url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE" in response.text
