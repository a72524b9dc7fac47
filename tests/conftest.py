"""Shared fixtures: a fresh migrated database per test (SQLite or PostgreSQL); the stand-in."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.sandbox.driver import SlackDriver, SocketModeDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.settings import Settings
from app.store import migrate
from tests.slack_spec.check import violations
from tests.waiting import eventually

PG_HINT = (
    "PostgreSQL tests need TEST_DATABASE_URL, e.g. "
    "TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip() or None
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-A0001-1-test"
# How the end-to-end tests reach the bot: over HTTP, over Socket Mode, or both (the default).
SLACK_MODES = [
    m.strip() for m in os.environ.get("SLACK_MODES", "http,socket").split(",") if m.strip()
]
_counter = itertools.count()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the slow tests first; skip PostgreSQL-only tests, with the way to enable them, when no
    PostgreSQL is configured."""
    # Under xdist (`--maxschedchunk 1`) workers take tests in this order: a slow test started
    # last would keep one worker busy after the others are done.
    items.sort(key=lambda item: "slow" not in item.keywords)
    if TEST_DATABASE_URL:
        return
    skip = pytest.mark.skip(reason=PG_HINT)
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


class PostgresDatabases:
    """Creates throwaway databases on the server TEST_DATABASE_URL points at."""

    def __init__(self, url: str) -> None:
        self.base = make_url(url)
        # No pool: the fault tests stop and start the server, which would leave stale connections.
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.prefix = f"recip_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template: str | None = None
        self.created: list[str] = []

    def create(self, *, migrated: bool) -> str:
        name = f"{self.prefix}_{next(_counter)}"
        if migrated and self.template is None:
            template = f"{self.prefix}_template"
            # Named only once it exists and is migrated: a server that was away (another run
            # stopping it) fails this test alone, and the next test tries again.
            self._execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            self._execute(f'CREATE DATABASE "{template}"')
            self.created.append(template)
            migrate.upgrade(self.url(template))
            self.template = template
        template = f' TEMPLATE "{self.template}"' if migrated else ""
        self._execute(f'CREATE DATABASE "{name}"{template}')
        self.created.append(name)
        return self.url(name)

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    @contextmanager
    def throwaway(self, *, migrated: bool) -> Iterator[str]:
        """A database from `create` for the length of the block, then dropped."""
        url = self.create(migrated=migrated)
        yield url
        # Dropped after each test, not all at the session's end: a parallel worker's last test
        # would pay for every drop at once, past its timeout on a busy server.
        name = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.remove(str(name))

    def drop_all(self) -> None:
        for name in reversed(self.created):
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(sql))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases | None]:
    """The PostgreSQL database factory, or None when the suite runs on SQLite."""
    if not TEST_DATABASE_URL:
        yield None
        return
    databases = PostgresDatabases(TEST_DATABASE_URL)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session, copied for each test that needs a database."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(
    postgres: PostgresDatabases | None, sqlite_template: Path, tmp_path: Path
) -> Iterator[str]:
    """A fresh database at the newest migration, on the backend this run tests."""
    if postgres is None:
        path = tmp_path / "reciprocity.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        with postgres.throwaway(migrated=True) as url:
            yield url


@pytest.fixture
def empty_database_url(postgres: PostgresDatabases | None, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no tables, on the backend this run tests."""
    if postgres is None:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        with postgres.throwaway(migrated=False) as url:
            yield url


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    """A running Slack stand-in with a small made-up team; the bot is in no channel yet.

    At teardown every recorded call is checked against Slack's method table (tests/slack_spec).
    """
    with SlackStandIn(team_id="T0001", team_name="Acme", bot_token=BOT_TOKEN) as stand_in:
        stand_in.add_user("U0ALICE", "alice", tz="Europe/Berlin", is_admin=True)
        stand_in.add_user("U0BOB", "bob", tz="America/New_York")
        stand_in.add_user("U0CAROL", "carol", tz="Asia/Tokyo")
        stand_in.add_user("U0DAVE", "dave", deleted=True)
        stand_in.add_user("U0HELPER", "deploybot", is_bot=True)
        stand_in.add_channel("C0GENERAL", "general")
        yield stand_in
        # Every call the test made must be one Slack documents: arguments and error codes.
        problems = violations(stand_in.calls)
        if problems:
            pytest.fail("calls Slack would not document:\n" + "\n".join(problems), pytrace=False)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """Wait until the bot process at `url` answers /healthz, failing fast if it exits."""

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the bot exited early with {process.returncode}")
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200

    eventually(
        healthy,
        what=f"{url}/healthz",
        timeout=timeout,
        interval=0.05,
        ignoring=(httpx.TransportError,),
    )


def bot_settings(database_url: str, slack: SlackStandIn, mode: str = "http") -> Settings:
    """Settings for a single-workspace bot that talks to the stand-in over HTTP or Socket Mode."""
    if mode == "socket":
        slack.enable_socket_mode(APP_TOKEN)
    return Settings(
        database_url=database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=APP_TOKEN if mode == "socket" else None,
        slack_api_url=slack.base_url,
        port=0,
    )


@pytest.fixture(params=SLACK_MODES)
def slack_mode(request: pytest.FixtureRequest) -> str:
    """How Slack reaches the bot in this test: "http" or "socket"."""
    return str(request.param)


def slack_driver(bot: BotServer, slack: SlackStandIn, mode: str) -> SlackDriver:
    """A driver that reaches `bot` the way `mode` says, once the bot is connected."""
    if mode == "socket":
        assert slack.socket_mode is not None
        slack.socket_mode.wait_connected()
        return SocketModeDriver(bot.url, slack.socket_mode, slack=slack)
    return SlackDriver(bot.url, SIGNING_SECRET, slack=slack)


BotFactory = Callable[..., BotServer]


@pytest.fixture
def serve_bot() -> Iterator[BotFactory]:
    """Starts bots in-process on a free loopback port with the given settings (BotServer's
    keyword options, such as `clock` or `with_worker`, pass through); stops each at teardown."""
    started: list[BotServer] = []

    def serve(settings: Settings, **options: Any) -> BotServer:
        server = BotServer(settings, host="127.0.0.1", port=0, **options).start()
        started.append(server)
        return server

    yield serve
    for server in reversed(started):
        server.stop()


@pytest.fixture
def bot(
    database_url: str, slack: SlackStandIn, slack_mode: str, serve_bot: BotFactory
) -> BotServer:
    """The bot served in-process on a real loopback port, talking to the stand-in."""
    return serve_bot(bot_settings(database_url, slack, slack_mode))


@pytest.fixture
def driver(bot: BotServer, slack: SlackStandIn, slack_mode: str) -> Iterator[SlackDriver]:
    """Sends requests to the running bot as Slack does: signed over HTTP, or over the socket."""
    with slack_driver(bot, slack, slack_mode) as connected:
        yield connected
