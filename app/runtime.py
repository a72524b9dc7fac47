"""The long-lived pieces one process shares (settings, database, clock, the Web API client), and
the delivery worker built from them with what the domain tells it.

The worker (app/delivery) knows no domain table or service; what it needs of them is named here,
so `reciprocity run`, `reciprocity worker`, the tests and the benchmarks build it the same way.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from slack_sdk.oauth.installation_store import InstallationStore
from sqlalchemy import Engine

from app.clock import Clock, SystemClock
from app.delivery.config import SQLITE_POLL_SECONDS, WorkerConfig
from app.delivery.hooks import DeliveryHooks, PostLink
from app.delivery.next_claim import Doorbell
from app.delivery.outbox import ring_on_commit
from app.delivery.tokens import NoTokens, TokenSource
from app.delivery.wakeup import OutboxListener
from app.delivery.worker import DeliveryWorker
from app.directory import home_tabs
from app.directory.slack_lookup import SlackLookup
from app.events import prune_processed
from app.home.render import render as render_home
from app.metrics import Metrics
from app.settings import Settings
from app.slackapi.web_api import WebApi
from app.store.db import SessionFactory, make_engine, make_session_factory
from app.store.models import Ask, Introduction, Kudos
from app.workspaces.service import deactivate


@dataclass
class Runtime:
    """What listeners, the worker and the scheduler are built from; one per process."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    clock: Clock
    slack: WebApi
    # Rung when a commit queued outbox messages: the delivery worker wakes and claims at once.
    doorbell: Doorbell = field(default_factory=Doorbell)
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


DELIVERY_HOOKS = DeliveryHooks(
    # Home tabs are rendered when they are sent, from the store as it is then.
    renderers={home_tabs.RENDERER: render_home},
    # Where `outbox.Link(table, id)` records a sent post's channel and ts.
    links={
        Ask.__tablename__: PostLink(Ask, "channel_id", "message_ts"),
        Kudos.__tablename__: PostLink(Kudos, "post_channel_id", "post_ts"),
        Introduction.__tablename__: PostLink(Introduction, "group_channel_id", "group_ts"),
    },
    # A refused token pauses the workspace's messages until it is installed again.
    on_auth_failure=deactivate,
    # Event claims live beside the outbox: both are bookkeeping that only needs days.
    housekeeping=(prune_processed,),
)


def build_worker(
    runtime: Runtime,
    tokens: TokenSource,
    config: WorkerConfig | None = None,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> DeliveryWorker:
    """The delivery worker of `runtime`'s process, calling Slack with `tokens`: on PostgreSQL
    woken by other processes' NOTIFY, on SQLite looking at least every `SQLITE_POLL_SECONDS`."""
    config = config or WorkerConfig()
    listener = None
    if runtime.engine.dialect.name == "postgresql":
        listener = OutboxListener(runtime.engine, runtime.doorbell, config.retry_seconds)
    else:
        config = replace(config, poll_seconds=min(config.poll_seconds, SQLITE_POLL_SECONDS))
    return DeliveryWorker(
        sessions=runtime.sessions,
        clock=runtime.clock,
        slack=runtime.slack,
        tokens=tokens,
        doorbell=runtime.doorbell,
        hooks=DELIVERY_HOOKS,
        config=config,
        listener=listener,
        monotonic=monotonic,
        rng=rng,
    )
