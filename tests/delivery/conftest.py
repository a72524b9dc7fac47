"""Fixtures for delivery tests: a runtime on a fresh database, its workspace, a worker factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from app.delivery.tokens import SingleWorkspaceTokens
from app.delivery.worker import DeliveryWorker, WorkerConfig
from app.runtime import Runtime, build_runtime
from app.sandbox.slack_api import SlackStandIn
from app.settings import Settings
from app.store.db import transaction
from app.store.models import OutboxMessage
from app.workspaces.service import Identity, ensure_workspace
from tests.conftest import BOT_TOKEN

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

    def build(config: WorkerConfig = FAST) -> DeliveryWorker:
        worker = DeliveryWorker(runtime, SingleWorkspaceTokens(TEAM, BOT_TOKEN), config)
        workers.append(worker)
        return worker

    yield build
    for worker in workers:
        worker.stop()


def outbox_row(runtime: Runtime, key: str) -> OutboxMessage:
    """The outbox row queued under `key`, detached from its session."""
    with runtime.sessions() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).one()
        session.expunge(row)
        return row
