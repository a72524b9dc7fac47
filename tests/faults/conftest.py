"""Sizes and helpers the fault tests share, over `bench.loadkit`'s cluster and driver.

The reduced sizes keep the folder near three minutes on a 2-core machine; `FAULTS_FULL=1`
switches to the issue's sizes (50 workspaces of 100 people, a minute of 429s and 500s, …).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from app.sandbox.slack_api import SlackStandIn
from bench.delivery import PG_ADMIN
from bench.loadkit.cluster import Cluster
from bench.loadkit.exactly_once import exactly_once_problems
from bench.loadkit.mix import Sent
from tests.conftest import TEST_DATABASE_URL
from tests.waiting import eventually

FULL = os.environ.get("FAULTS_FULL", "").strip() == "1"
# Claimed messages of a dead replica come back this soon, so a test need not wait a minute.
# A post among them is looked for on Slack only once its call must have ended (the worker's
# unsure wait after the claim), so a lease shorter than a call cannot make it post twice.
LEASE_SECONDS = "3"


@dataclass(frozen=True)
class Sizes:
    """How big a fault test's cluster and load are."""

    workspaces: int
    users: int
    rate: float
    seconds: float
    # Seconds each of 429s and 500s is answered, in the Slack faults test.
    fault_period: float
    timeout: float


SIZES = (
    Sizes(workspaces=50, users=100, rate=30, seconds=40, fault_period=30, timeout=900)
    if FULL
    else Sizes(workspaces=4, users=20, rate=25, seconds=8, fault_period=2.5, timeout=180)
)


@pytest.fixture
def backend() -> str:
    """The database the suite runs on: PostgreSQL when TEST_DATABASE_URL is set."""
    return "postgresql" if TEST_DATABASE_URL else "sqlite"


def cluster(backend: str, replicas: int = 1, *, short_lease: bool = True) -> Cluster:
    """A cluster of the test's size on `backend` (a throwaway database on TEST_DATABASE_URL's
    server); with `short_lease`, replicas take a dead one's claimed messages over after 3 s."""
    return Cluster(
        backend,
        replicas,
        SIZES.workspaces,
        SIZES.users,
        ["--lease-seconds", LEASE_SECONDS] if short_lease else [],
        admin_url=TEST_DATABASE_URL or PG_ADMIN,
    )


def assert_exactly_once(cluster: Cluster, sent: Sequence[Sent], drain_timeout: float) -> None:
    """Fail with the problems (and the replicas' last log lines) unless all is exactly once."""
    problems = exactly_once_problems(cluster, sent, drain_timeout=drain_timeout)
    logs = "\n".join(
        f"--- replica {i}\n{cluster.log_tail(i, 15)}" for i in range(len(cluster.processes))
    )
    assert problems == [], "\n".join(problems[:40]) + f"\n({len(problems)} problems)\n" + logs


def keep_failing(slack: SlackStandIn, method: str, status: int, seconds: float) -> int:
    """Answer every call of `method` with `status` for about `seconds`, and on until at least one
    call was (a busy machine may make none that soon); return how many were.

    The stand-in fails the next N calls; this keeps a couple queued, however fast calls come,
    until the time is up (at most two more calls fail after it).
    """
    seen = len(slack.calls)
    failed = queued = 0
    until = time.monotonic() + seconds

    def failing() -> int:
        nonlocal seen, failed, queued
        # Only the calls recorded since the last look: the record grows long in a full run.
        fresh = slack.calls[seen:]
        seen += len(fresh)
        failed += sum(1 for call in fresh if call.method == method and call.status == status)
        if queued - failed < 2:
            slack.fail_next(method, times=2, status=status)
            queued += 2
        return failed

    eventually(
        failing,
        lambda count: count > 0 and time.monotonic() >= until,
        what=f"a call of {method} answered {status}",
        timeout=seconds + 60,
    )
    return failed
