"""A replica SIGKILLed mid-load: what it acknowledged is stored once, what it was posting is
taken over after the lease and posted once (looked for on Slack before posting again)."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from bench.loadkit.driver import start_drive
from tests.faults.conftest import SIZES, assert_exactly_once, cluster

# Tens of seconds each: collected first, so parallel workers start them early (tests/conftest.py).
pytestmark = pytest.mark.slow


@pytest.mark.timeout(SIZES.timeout)
def test_a_replica_killed_mid_load_loses_and_repeats_nothing(backend: str) -> None:
    # PostgreSQL: three replicas, one dies and the others carry on. SQLite serves one process,
    # so the one replica dies and a new one takes its place.
    replicas = 3 if backend == "postgresql" else 1
    victim = replicas - 1
    with cluster(backend, replicas) as bot:
        load = start_drive(bot, SIZES.rate, SIZES.seconds)
        time.sleep(1 + SIZES.seconds / 2)
        # Posts answered a moment late: the victim surely has calls in flight when it dies,
        # which Slack completes after it is gone.
        bot.slack.hang_next("chat.postMessage", times=12, seconds=1.0)
        time.sleep(0.3)
        bot.kill_replica(victim)
        if replicas == 1:
            bot.start_replica(victim)
        run = load.result()
        # Refused or cut connections to the dead replica are fine: Slack saw no ack for them.
        cut = Counter(s.error for s in run.failed)
        assert run.acked, f"nothing was acknowledged ({cut})"
        assert_exactly_once(bot, run.sent, drain_timeout=90)
        assert {s.replica for s in run.acked} == set(range(replicas))
