"""Fixtures for delivery tests: a runtime on a fresh database, its workspace, a worker factory,
and a started worker on manual time."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import ManualClock
from app.delivery import outbox
from app.delivery.config import WorkerConfig
from app.delivery.tokens import SingleWorkspaceTokens
from app.delivery.worker import DeliveryWorker
from app.runtime import Runtime, build_runtime, build_worker
from app.sandbox.slack_api import SlackStandIn
from app.settings import Settings
from app.store.db import transaction
from app.store.models import OutboxMessage
from app.workspaces.service import Identity, ensure_workspace
from tests.conftest import BOT_TOKEN
from tests.waiting import eventually

TEAM = "T0001"
FAST = WorkerConfig(concurrency=8, max_backoff_seconds=0.2, poll_seconds=0.05)


@pytest.fixture
def runtime(database_url: str, slack: SlackStandIn) -> Iterator[Runtime]:
    """A runtime whose Web API client talks to the stand-in, with workspace T0001 installed."""
    settings = Settings(
        database_url=database_url, slack_bot_token=BOT_TOKEN, slack_api_url=slack.base_url
    )
    built = build_runtime(settings)
    with transaction(built.sessions) as session:
        ensure_workspace(session, Identity(TEAM, "Acme", "UBOT", "BBOT"), built.clock.now())
    yield built
    built.close()


WorkerFactory = Callable[..., DeliveryWorker]


@pytest.fixture
def make_worker(runtime: Runtime) -> Iterator[WorkerFactory]:
    """Builds delivery workers for `runtime`; any that were started are stopped afterwards."""
    workers: list[DeliveryWorker] = []

    def build(config: WorkerConfig = FAST, **options: object) -> DeliveryWorker:
        worker = build_worker(
            runtime,
            SingleWorkspaceTokens(TEAM, BOT_TOKEN),
            config,
            **options,  # type: ignore[arg-type]
        )
        workers.append(worker)
        return worker

    yield build
    for worker in workers:
        worker.stop()


def queue_entries(runtime: Runtime, *entries: dict[str, object], claim: bool = False) -> None:
    """Queue outbox rows (keywords of `outbox.entry`, in order) in one transaction; with
    `claim`, left to the worker's claim (`for_the_claim`)."""
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        if claim:
            for_the_claim(session)
        outbox.queue_all(
            session,
            [outbox.entry(team_id=TEAM, now=now, **entry) for entry in entries],  # type: ignore[misc]
        )


def for_the_claim(session: Session) -> Session:
    """`session`, what it queues left to the worker's claim, as another process queues it (one
    whose worker does not lease rows as they are queued, `handoff`): for tests of the claim."""
    session.info.pop(outbox.LANE, None)
    return session


def outbox_row(runtime: Runtime, key: str) -> OutboxMessage:
    """The outbox row queued under `key`, detached from its session."""
    with runtime.sessions() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).one()
        session.expunge(row)
        return row


# The worker's own settings (30 s and 2 s lookup waits, backoff up to 300 s), polling briskly.
REAL = WorkerConfig(poll_seconds=0.02)


class ManualTime:
    """A started worker whose clock and monotonic time move only when the test moves them.

    `settle` waits (in real time, as a liveness guard only) until the worker has nothing due;
    `advance` then jumps to the next instant a row is due. Assertions are made on the instants
    the worker scheduled, never on how long anything took.
    """

    def __init__(self, runtime: Runtime, worker: DeliveryWorker, clock: ManualClock) -> None:
        self.runtime = runtime
        self.worker = worker
        self.clock = clock

    def now(self) -> datetime:
        """The worker's present instant."""
        return self.clock.now()

    def settle(self, timeout: float = 15.0) -> None:
        """Block until no row is being sent and none is due: each is finished or waits."""
        eventually(
            self._busy,
            lambda busy: not busy,
            what="the worker to have nothing in flight or due",
            timeout=timeout,
            interval=0.01,
        )

    def advance(self) -> datetime:
        """Settle, then move the clock to the next instant a pending row is due; return it."""
        self.settle()
        with self.runtime.sessions() as session:
            due = session.scalar(
                select(OutboxMessage.next_attempt_at)
                .where(OutboxMessage.status == "pending")
                .order_by(OutboxMessage.next_attempt_at)
                .limit(1)
            )
        if due is None:
            raise AssertionError("no row is waiting")
        if due > self.clock.now():
            self.clock.set(due)
        self.runtime.doorbell.set()
        return self.clock.now()

    def until_sent(self, key: str, steps: int = 20) -> OutboxMessage:
        """Advance from due instant to due instant until the row `key` was sent; return it."""
        for _ in range(steps):
            self.settle()
            row = outbox_row(self.runtime, key)
            if row.status != "pending":
                assert row.status == "sent", (row.status, row.last_error)
                return row
            self.advance()
        raise AssertionError(f"{key} was not sent after {steps} steps")

    def _busy(self) -> bool:
        now = self.clock.now()
        with self.runtime.sessions() as session:
            busy = session.scalar(
                select(OutboxMessage.id)
                .where(
                    (OutboxMessage.status == "sending")
                    | ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
                )
                .limit(1)
            )
        return busy is not None


@pytest.fixture
def manual(runtime: Runtime, make_worker: WorkerFactory) -> ManualTime:
    """A started worker with production settings on a manual clock (see `ManualTime`)."""
    # An hour behind the wall: rows are queued "before" the stand-in's posts, so lookups (which
    # read from a row's queuing time) see them however far a test moves the clock.
    clock = ManualClock(datetime.now(UTC) - timedelta(hours=1))
    start = clock.now()
    runtime.clock = clock
    # Seconds since the start: small numbers keep the pacer's float sums exact enough.
    worker = make_worker(
        REAL, monotonic=lambda: (clock.now() - start).total_seconds(), rng=random.Random(16)
    )
    worker.start()
    return ManualTime(runtime, worker, clock)
