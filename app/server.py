"""`reciprocity run`: migrate, learn the workspace, then serve Slack and run background services."""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import socket
import threading
import time
from types import FrameType
from typing import Protocol

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError as SlackSdkApiError
from sqlalchemy.exc import OperationalError

from app.clock import Clock
from app.delivery.config import WorkerConfig
from app.delivery.tokens import SingleWorkspaceTokens
from app.directory.slack_lookup import Wait
from app.directory.sync import DirectorySync
from app.quiet_server import QuietServer
from app.runtime import Runtime, build_runtime, build_worker
from app.scheduler import Scheduler
from app.settings import DEFAULT_SLACK_API_URL, Settings, SettingsError
from app.slack.bolt_app import build_bolt_app
from app.slack.installations import InstallationTokens, installation_store
from app.slack.remembered_bots import RememberedBots
from app.slackapi.web_api import RateLimited, TransientError, WebApiError
from app.store import migrate
from app.store.db import transaction
from app.web import create_web_app
from app.workspaces.service import Identity, domain_of, ensure_workspace

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Start-up cannot go on; `str()` is the one line the operator sees."""


class BackgroundService(Protocol):
    """Something that runs beside the HTTP server (the delivery worker, the scheduler)."""

    def start(self) -> None:
        """Begin working in background threads."""

    def stop(self) -> None:
        """Finish the work in hand and stop."""


def prepare_database(settings: Settings) -> None:
    """Apply pending migrations; raise `StartupError` naming DATABASE_URL if the database fails."""
    try:
        migrate.upgrade(settings.database_url)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise StartupError(f"DATABASE_URL: cannot use the database ({reason})") from None


def use_installations(runtime: Runtime) -> None:
    """Multi-workspace mode: tokens come from the installation store, rotated when due."""
    settings = runtime.settings
    assert settings.slack_client_id is not None
    assert settings.slack_client_secret is not None
    store = installation_store(
        settings.slack_client_id, runtime.engine, settings.token_encryption_keys
    )
    # A new key put first re-encrypts every stored token now; plaintext ones get encrypted.
    rotated = store.reencrypt_all()
    if rotated:
        log.info("re-encrypted the tokens of %d installations with the newest key", rotated)
    # Every request's authorization reads the bot through it: remembered, not a statement.
    runtime.installations = remembered = RememberedBots(store)
    runtime.tokens = InstallationTokens(
        remembered,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        client=WebClient(base_url=settings.slack_api_url, timeout=10),
    )


def learn_workspace(runtime: Runtime) -> Identity:
    """Ask Slack who the bot token belongs to (`auth.test`) and store that workspace."""
    token = runtime.settings.slack_bot_token
    assert token is not None
    try:
        answer = runtime.slack.call("auth.test", token)
    except WebApiError as exc:
        raise StartupError(f"SLACK_BOT_TOKEN was refused by Slack ({exc.error})") from None
    except (TransientError, RateLimited) as exc:
        url = runtime.settings.slack_api_url
        if url == DEFAULT_SLACK_API_URL:
            raise StartupError(
                f"cannot reach Slack at {url} ({exc}): check the network and any proxy "
                "(HTTPS_PROXY)"
            ) from None
        raise StartupError(
            f"SLACK_API_URL: cannot reach Slack at {url} ({exc}): check SLACK_API_URL "
            "and that the server it names is up"
        ) from None
    identity = Identity(
        team_id=str(answer["team_id"]),
        name=str(answer.get("team", "")),
        bot_user_id=answer.get("user_id"),
        bot_id=answer.get("bot_id"),
        enterprise_id=answer.get("enterprise_id") or None,
        domain=domain_of(str(answer.get("url") or "")),
    )
    with transaction(runtime.sessions) as session:
        ensure_workspace(session, identity, runtime.clock.now())
    return identity


class SocketModeConnection:
    """Bolt's built-in Socket Mode client: one WebSocket to Slack, reconnecting on drops."""

    def __init__(self, bolt: App, settings: Settings) -> None:
        assert settings.slack_app_token is not None
        self.handler = SocketModeHandler(
            bolt,
            settings.slack_app_token,
            # apps.connections.open goes to SLACK_API_URL, like every other call.
            web_client=WebClient(base_url=settings.slack_api_url, timeout=10),
            logger=logging.getLogger("slack_bolt.socket_mode"),
        )

    def start(self) -> None:
        """Open the connection (`apps.connections.open`); raise StartupError if Slack refuses."""
        try:
            self.handler.connect()  # type: ignore[no-untyped-call]
        except SlackSdkApiError as exc:
            error = exc.response.get("error") if exc.response is not None else "unknown"
            raise StartupError(f"SLACK_APP_TOKEN was refused by Slack ({error})") from None

    def stop(self) -> None:
        """Close the connection at once."""
        client = self.handler.client
        client.auto_reconnect_enabled = False
        # The client's reader blocks in recv() for up to 3 s; shutting the socket wakes it now.
        sock = getattr(client.current_session, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.handler.close()  # type: ignore[no-untyped-call]


class BotServer:
    """One bot process: the HTTP app on a port plus its background services."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        with_worker: bool = True,
        with_scheduler: bool = False,
        worker_config: WorkerConfig | None = None,
        host: str = "0.0.0.0",  # noqa: S104 - a container must be reachable from outside
        port: int | None = None,
        directory_wait: Wait | None = None,
    ) -> None:
        settings.require_slack_credentials()
        self.settings = settings
        prepare_database(settings)
        self.runtime = build_runtime(settings, clock)
        # One workspace (learnt from auth.test), or every workspace that installs through OAuth.
        self.workspace: Identity | None = None
        try:
            if settings.oauth_enabled:
                use_installations(self.runtime)
            else:
                self.workspace = learn_workspace(self.runtime)
                token = settings.slack_bot_token
                assert token is not None
                self.runtime.tokens = SingleWorkspaceTokens(self.workspace.team_id, token)
        except StartupError:
            self.runtime.close()
            raise
        self.bolt = build_bolt_app(self.runtime, self.workspace)
        # In Socket Mode Slack's requests arrive over the socket; $PORT serves health and metrics
        # (and, with OAuth, the install pages).
        self.web = create_web_app(
            self.runtime,
            self.bolt,
            self.runtime.metrics.registry,
            slack_events=not settings.socket_mode,
        )
        self.worker = build_worker(self.runtime, self.runtime.tokens, worker_config)
        # Tests pass a `directory_wait` that returns at once instead of sleeping out Retry-After.
        self.directory = DirectorySync(
            self.runtime.lookup,
            self.runtime.sessions,
            self.runtime.clock,
            stop=self.runtime.stopping,
            wait=directory_wait,
        )
        self._services: list[BackgroundService] = [self.worker] if with_worker else []
        if with_scheduler:
            self._services.append(Scheduler(self.runtime))
        if settings.socket_mode:
            self._services.append(SocketModeConnection(self.bolt, settings))
        self._socket = socket.create_server((host, settings.port if port is None else port))
        self._uvicorn = QuietServer(
            uvicorn.Config(
                self.web,
                log_config=None,
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=10,
                # Slack keeps connections open between requests; so do we.
                timeout_keep_alive=30,
            )
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port the HTTP app listens on."""
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """The base URL of the HTTP app on the loopback interface."""
        return f"http://127.0.0.1:{self.port}"

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT, then drain requests and stop the services gracefully."""
        stop_requested = threading.Event()

        def note_signal(signum: int, _frame: FrameType | None) -> None:
            # uvicorn re-raises the signal once it has shut down; by then we only note it.
            stop_requested.set()

        previous = {sig: signal.signal(sig, note_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._start_services()
            # What start-up built lives as long as the process; frozen, the collector stops
            # re-walking it, and full collections shrink from tens of milliseconds (stalling every
            # request in flight) to what requests themselves leave behind.
            gc.collect()
            gc.freeze()
            log.info("serving Slack on port %d", self.port)
            self._uvicorn.run(sockets=[self._socket])
        finally:
            self._stop_services()
            self.runtime.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("stopped")

    def start(self) -> BotServer:
        """Serve from a background thread (tests, the demo); return once requests are accepted."""
        self._start_services()
        self._thread = threading.Thread(
            target=self._uvicorn.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._uvicorn.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the HTTP server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop a server started with `start`."""
        self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._stop_services()
        self.runtime.close()
        self._socket.close()

    def _start_services(self) -> None:
        # The directory fills in the background: guards read through to Slack on a miss meanwhile.
        self.directory.start()
        for service in self._services:
            service.start()

    def _stop_services(self) -> None:
        self.directory.stop()
        for service in reversed(self._services):
            try:
                service.stop()
            except Exception:
                log.exception("a background service failed to stop cleanly")


def run_worker(
    settings: Settings, *, clock: Clock | None = None, config: WorkerConfig | None = None
) -> None:
    """`reciprocity worker`: deliver the outbox until SIGTERM or SIGINT, without serving HTTP."""
    if settings.slack_bot_token is None and not settings.oauth_enabled:
        raise SettingsError("SLACK_BOT_TOKEN", "is not set: the worker needs it to call Slack")
    prepare_database(settings)
    runtime = build_runtime(settings, clock)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if settings.oauth_enabled:
            use_installations(runtime)
            log.info("delivering the outbox of every installed workspace")
        else:
            assert settings.slack_bot_token is not None
            workspace = learn_workspace(runtime)
            runtime.tokens = SingleWorkspaceTokens(workspace.team_id, settings.slack_bot_token)
            log.info("delivering the outbox of workspace %s", workspace.team_id)
        worker = build_worker(runtime, runtime.tokens, config)
        worker.start()
        stop.wait()
        worker.stop()
    finally:
        runtime.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("stopped")
