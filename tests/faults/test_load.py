"""The load run in reduced form: the whole mix over signed HTTP, across workspaces and (on
PostgreSQL) three replicas sharing one queue, answered and delivered exactly once.

`python -m bench.load` is the full run with figures; this keeps its checks honest in CI.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.loadkit.driver import drive
from bench.loadkit.mix import COMMANDS, EVENTS
from tests.faults.conftest import SIZES, assert_exactly_once, cluster

# Tens of seconds each: collected first, so parallel workers start them early (tests/conftest.py).
pytestmark = pytest.mark.slow


@pytest.mark.timeout(SIZES.timeout)
def test_the_mix_across_replicas_is_answered_and_delivered_exactly_once(backend: str) -> None:
    replicas = 3 if backend == "postgresql" else 1
    with cluster(backend, replicas, short_lease=False) as bot:
        run = drive(bot, SIZES.rate, SIZES.seconds)
        outcomes = Counter(s.outcome for s in run.sent)
        assert outcomes == {"ok": len(run.sent)}, outcomes
        kinds = Counter(s.kind for s in run.sent)
        assert set(kinds) == {*COMMANDS, *EVENTS}, kinds
        # Commands dominate the mix as on the 60/20/10/10.
        assert kinds["kudos"] > kinds["ask"] > 0
        assert {s.replica for s in run.sent} == set(range(replicas))
        assert len({s.team for s in run.sent}) > 1
        assert_exactly_once(bot, run.sent, drain_timeout=120)
