"""A round's statements at the edges: recording rows of which one was taken over by another
worker, and claiming followers of rows that were sent, failed, or are still on their way.

These drive the worker's claims and recorder directly in transactions of their own (as its
rounds do), against the real database, so each case is set up exactly and nothing is timed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.clock import ManualClock
from app.delivery import outbox
from app.delivery.claims import Claimed
from app.delivery.followers import FALLBACK_SECONDS
from app.delivery.sender import UNSURE, Outcome
from app.delivery.worker import DeliveryWorker
from app.runtime import Runtime
from app.store.core import work
from app.store.db import transaction
from app.store.models import OutboxMessage
from tests.delivery.conftest import FAST, WorkerFactory, outbox_row, queue_entries


@pytest.fixture(autouse=True)
def _still_time(runtime: Runtime) -> None:
    """The clock stands still: every `now` below is the one instant."""
    runtime.clock = ManualClock(datetime.now(UTC))


def _post(key: str, channel: str = "C0GENERAL") -> dict[str, object]:
    return {
        "method": "chat.postMessage",
        "args": {"channel": channel, "text": key},
        "dedupe_key": key,
    }


def _edit(key: str, follows: str, **extra: object) -> dict[str, object]:
    return {
        "method": "chat.update",
        "args": {"channel": outbox.AFTER_CHANNEL, "ts": outbox.AFTER_TS, "text": key},
        "dedupe_key": key,
        "after_key": follows,
        **extra,
    }


def _take(runtime: Runtime, worker: DeliveryWorker) -> dict[str, Claimed]:
    """One round's claim, by dedupe key."""
    with work(runtime.sessions) as unit:
        claimed = worker.claims.take(unit, 100, runtime.clock.now())
    return {row.dedupe_key: row for row in claimed}


def _record(runtime: Runtime, worker: DeliveryWorker, results: list[tuple[int, Outcome]]) -> None:
    with work(runtime.sessions) as unit:
        worker.recorder.record_all(unit, results, runtime.clock.now())


def _set(runtime: Runtime, key: str, **values: object) -> None:
    with transaction(runtime.sessions) as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.dedupe_key == key).values(**values)
        )


@pytest.mark.parametrize("row_by_row", [False, True], ids=["one statement", "old SQLite"])
def test_a_round_records_only_the_rows_still_its_own(
    runtime: Runtime, make_worker: WorkerFactory, row_by_row: bool
) -> None:
    worker = make_worker()
    worker.recorder.row_by_row = row_by_row
    queue_entries(runtime, _post("mine"), _post("lost"), _post("failing"))
    claimed = _take(runtime, worker)
    assert set(claimed) == {"mine", "lost", "failing"}
    # Queued after the claim: they wait for the posts' wake-up.
    queue_entries(runtime, _edit("mine:edit", "mine"), _edit("lost:edit", "lost"))
    # The lease on "lost" ran out and another worker took it over (and posts it itself).
    _set(runtime, "lost", claimed_by="other-worker")
    later = runtime.clock.now() + timedelta(seconds=5)
    _set(runtime, "mine:edit", next_attempt_at=later)
    _set(runtime, "lost:edit", next_attempt_at=later)
    _record(
        runtime,
        worker,
        [
            (claimed["mine"].id, Outcome(ok=True, channel="C0GENERAL", ts="1.000001")),
            (claimed["lost"].id, Outcome(ok=True, channel="C0GENERAL", ts="1.000002")),
            (claimed["failing"].id, Outcome(ok=False, error="internal_error")),
        ],
    )
    mine, lost, failing = (outbox_row(runtime, key) for key in ("mine", "lost", "failing"))
    assert (mine.status, mine.result_ts, mine.claimed_by) == ("sent", "1.000001", None)
    # The other worker's lease stands: not marked, and its follower not let go.
    assert (lost.status, lost.result_ts, lost.claimed_by) == ("sending", None, "other-worker")
    assert outbox_row(runtime, "lost:edit").next_attempt_at == later
    assert outbox_row(runtime, "mine:edit").next_attempt_at == runtime.clock.now()
    assert (failing.status, failing.claimed_by, failing.last_error) == (
        "pending",
        None,
        "internal_error",
    )
    assert worker.stats.sent == 1


def test_one_round_claims_followers_of_sent_failed_and_unsent_rows(
    runtime: Runtime, make_worker: WorkerFactory
) -> None:
    worker = make_worker()
    queue_entries(runtime, _post("sent"), _post("failed"), _post("waiting"))
    _set(runtime, "sent", status="sent", result_channel="C0GENERAL", result_ts="5.000001")
    _set(runtime, "failed", status="failed", last_error="channel_not_found")
    _set(runtime, "waiting", next_attempt_at=runtime.clock.now() + timedelta(seconds=30))
    instead = {"channel": "C0OTHER", "text": "the post could not be made"}
    queue_entries(
        runtime,
        _edit("sent:1", "sent"),
        _edit("sent:2", "sent"),
        _edit("failed:instead", "failed", after_failed_args=instead),
        _edit("failed:nothing", "failed"),
        _edit("waiting:1", "waiting"),
        _edit("missing:1", "never-queued"),
    )
    claimed = _take(runtime, worker)
    # A follower of a sent row goes with its channel and ts; the next follower of the same row
    # waits for the one queued before it; a follower of a failed row goes with what it has
    # instead, or fails, as does one whose followed row was never queued.
    assert set(claimed) == {"sent:1", "failed:instead"}
    assert claimed["sent:1"].args == {"channel": "C0GENERAL", "ts": "5.000001", "text": "sent:1"}
    assert claimed["failed:instead"].args == instead
    now = runtime.clock.now()
    # It is woken when "sent:1" is recorded; until then it is not read again but as a fallback.
    fallback = timedelta(seconds=FALLBACK_SECONDS)
    assert outbox_row(runtime, "sent:2").next_attempt_at == now + fallback
    # Nothing can change before the followed row's own next attempt.
    assert outbox_row(runtime, "waiting:1").next_attempt_at == now + timedelta(seconds=30)
    for key in ("failed:nothing", "missing:1"):
        row = outbox_row(runtime, key)
        assert (row.status, row.last_error) == (
            "failed",
            "the message it follows was not delivered",
        )


def test_the_followers_claimed_with_their_post_go_right_behind_it_from_the_same_sender(
    runtime: Runtime, make_worker: WorkerFactory
) -> None:
    worker = make_worker()
    queue_entries(
        runtime,
        _post("post"),
        _edit("post:edit", "post"),
        _edit("post:edit:2", "post"),
        _edit("post:edit:edit", "post:edit"),
    )
    claimed = _take(runtime, worker)
    # Every follower is leased with the post and handed to the post's sender: the post's own
    # in the order they were queued, the edit's edit once the edit is in the chain. Their
    # placeholders are left for the outcome of the row each follows to fill.
    assert set(claimed) == {"post"}
    chain = list(claimed["post"].chain())
    assert [(row.dedupe_key, row.follows) for row in chain] == [
        ("post", None),
        ("post:edit", "post"),
        ("post:edit:2", "post"),
        ("post:edit:edit", "post:edit"),
    ]
    assert chain[1].args == {
        "channel": outbox.AFTER_CHANNEL,
        "ts": outbox.AFTER_TS,
        "text": "post:edit",
    }
    for key in ("post:edit", "post:edit:2", "post:edit:edit"):
        row = outbox_row(runtime, key)
        assert (row.status, row.attempts, row.claimed_by) == ("sending", 1, worker.id)


def test_a_follower_queued_behind_one_not_claimed_waits_for_it(
    runtime: Runtime, make_worker: WorkerFactory
) -> None:
    worker = make_worker()
    queue_entries(runtime, _post("post"), _edit("post:edit", "post"), _edit("post:edit:2", "post"))
    # The first edit is held back (a backoff), so the second may not go with the post.
    _set(runtime, "post:edit", next_attempt_at=runtime.clock.now() + timedelta(minutes=1))
    claimed = _take(runtime, worker)
    assert [row.dedupe_key for row in claimed["post"].chain()] == ["post"]
    second = outbox_row(runtime, "post:edit:2")
    assert (second.status, second.attempts) == ("pending", 0)
    assert second.next_attempt_at > runtime.clock.now()


def test_a_follower_handed_back_with_its_unsent_post_goes_once_the_post_is_sent(
    runtime: Runtime, make_worker: WorkerFactory
) -> None:
    worker = make_worker()
    queue_entries(runtime, _post("post"), _edit("post:edit", "post"))
    post = _take(runtime, worker)["post"]
    assert post.then is not None
    # The post's call failed (Slack answered: no post), so its sender never called the edit.
    _record(
        runtime,
        worker,
        [
            (post.id, Outcome(ok=False, error="internal_error")),
            (post.then.id, Outcome.handed_back_unsent()),
        ],
    )
    edit = outbox_row(runtime, "post:edit")
    assert (edit.status, edit.attempts, edit.claimed_by) == ("pending", 0, None)
    # Due again at once, it is put off behind the post's retry (the wake-up brings it sooner).
    assert _take(runtime, worker) == {}
    retry = outbox_row(runtime, "post").next_attempt_at
    fallback = runtime.clock.now() + timedelta(seconds=FALLBACK_SECONDS)
    assert outbox_row(runtime, "post:edit").next_attempt_at == max(retry, fallback)
    runtime.clock.set(retry)
    again = _take(runtime, worker)
    assert set(again) == {"post"}
    assert again["post"].then is None
    _record(runtime, worker, [(again["post"].id, Outcome(ok=True, channel="C1", ts="7.5"))])
    edit_row = _take(runtime, worker)["post:edit"]
    assert edit_row.args == {"channel": "C1", "ts": "7.5", "text": "post:edit"}


def test_a_follower_of_a_row_its_round_failed_goes_with_what_it_has_instead(
    runtime: Runtime, make_worker: WorkerFactory
) -> None:
    worker = make_worker()
    broken = {**_post("broken"), "args": {"channel": "C0GENERAL", outbox.RENDER: "no-such"}}
    instead = {"channel": "C0GENERAL", "text": "without the post"}
    queue_entries(runtime, broken, _edit("broken:edit", "broken", after_failed_args=instead))
    claimed = _take(runtime, worker)
    assert outbox_row(runtime, "broken").status == "failed"
    # In the same round: the follower saw the failure the round had just recorded.
    assert claimed["broken:edit"].args == instead


def test_a_lapsed_lease_is_looked_up_only_after_the_latest_start_of_its_call_plus_the_wait(
    runtime: Runtime, make_worker: WorkerFactory
) -> None:
    # A worker calls a leased row only while half its lease is left: a call taken over now may
    # have started 5 s before the lease ran out, and Slack may still be carrying it out 8 s on.
    worker = make_worker(replace(FAST, lease_seconds=10, unsure_wait_seconds=8))
    now = runtime.clock.now()
    queue_entries(runtime, _post("lapsed"))
    _set(
        runtime,
        "lapsed",
        status="sending",
        claimed_by="dead-worker",
        attempts=1,
        lease_expires_at=now - timedelta(seconds=1),
    )
    assert _take(runtime, worker) == {}
    row = outbox_row(runtime, "lapsed")
    assert (row.status, row.next_attempt_at) == ("pending", now + timedelta(seconds=2))
    assert str(row.last_error).startswith(UNSURE)
