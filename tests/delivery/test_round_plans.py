"""The rounds plan their statements once on PostgreSQL, and again as the rows they claim double:
when, and that the worker renews its connection for it without losing or repeating a message."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import event

from app.delivery.round_plans import PlanAge
from app.runtime import Runtime
from app.sandbox.slack_api import SlackStandIn
from app.store.db import is_sqlite
from tests.delivery.conftest import FAST, WorkerFactory, queue_entries


def test_plans_are_made_again_at_the_first_count_then_each_time_the_claimed_rows_double() -> None:
    age = PlanAge(4)
    said = [age.claimed(rows) for rows in (3, 1, 3, 1, 5, 4, 7, 10)]
    # Claimed so far: 3, 4 (the first count), 7, 8 (twice 4), 13, 17 (past 16), 24, 34.
    assert said == [False, True, False, True, False, True, False, True]


def test_one_round_that_claims_many_rows_counts_them_all() -> None:
    age = PlanAge(4)
    assert age.claimed(100)
    assert not age.claimed(99)
    assert age.claimed(1)


def test_the_worker_renews_its_rounds_connection_as_its_claims_double_and_sends_each_once(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    engine = runtime.sessions.kw["bind"]
    closed: list[Any] = []
    event.listen(engine, "close", lambda dbapi, _record: closed.append(dbapi))
    # A round claims at most two rows, and the rounds plan again at 2, 4 and 8 rows claimed.
    worker = make_worker(replace(FAST, batch_size=2, concurrency=2, replan_after_rows=2))
    for n in range(10):
        slack.add_channel(f"C0PLAN{n}", f"plan-{n}")
    queue_entries(
        runtime,
        *(
            {
                "method": "chat.postMessage",
                "args": {"channel": f"C0PLAN{n}", "text": f"post {n}"},
                "dedupe_key": f"post-{n}",
            }
            for n in range(10)
        ),
    )
    worker.drain()
    assert sorted(message["text"] for message in slack.posted_messages()) == sorted(
        f"post {n}" for n in range(10)
    )
    if is_sqlite(engine):
        # SQLite plans each statement when it is prepared, for the file as it is: nothing kept.
        assert closed == []
    else:
        # Ten rows, one or two a round: renewed as the count passed 2, about 4 and about 8
        # (a round that found a sender's slot still taken claims one), not at every round.
        assert 2 <= len(closed) <= 4
