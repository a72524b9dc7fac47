"""The long-lived pieces one process shares: settings, database, clock and the Web API client."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from slack_sdk.oauth.installation_store import InstallationStore
from sqlalchemy import Engine

from app.clock import Clock, SystemClock
from app.delivery.outbox import ring_on_commit
from app.delivery.tokens import NoTokens, TokenSource
from app.directory.slack_lookup import SlackLookup
from app.metrics import Metrics
from app.settings import Settings
from app.slackapi.web_api import WebApi
from app.store.db import SessionFactory, make_engine, make_session_factory


@dataclass
class Runtime:
    """What listeners, the worker and the scheduler are built from; one per process."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    clock: Clock
    slack: WebApi
    # Rung when a commit queued outbox messages: the delivery worker wakes at once.
    doorbell: threading.Event = field(default_factory=threading.Event)
    # Set once start-up knows the install: the bot token of each workspace.
    tokens: TokenSource = field(default_factory=NoTokens)
    # The Prometheus series this process exposes.
    metrics: Metrics = field(default_factory=Metrics)
    # Multi-workspace installs only: slack-sdk's installation store over our tables.
    installations: InstallationStore | None = None
    # Set when the process shuts down: background loops (the directory sync) end their waits.
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def lookup(self) -> SlackLookup:
        """The directory read-through to Slack, for cache misses on the ack path."""
        return SlackLookup(self.slack, self.tokens)

    def close(self) -> None:
        """Tell background loops to stop, and release the connection pools."""
        self.stopping.set()
        self.slack.close()
        self.engine.dispose()


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    """Create the runtime for `settings` (no connection is opened yet)."""
    engine = make_engine(settings.database_url)
    metrics = Metrics()
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        clock=clock or SystemClock(),
        slack=WebApi(settings.slack_api_url, on_call=metrics.slack_call),
        metrics=metrics,
    )
    # Read through the runtime at each scrape: tests may swap the clock after start-up.
    metrics.watch_outbox(runtime.sessions, lambda: runtime.clock.now())
    ring_on_commit(runtime.sessions, runtime.doorbell)
    return runtime
