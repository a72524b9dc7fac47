"""An idle worker wakes on work, not on a timer: a row another process queued (PostgreSQL's
NOTIFY), and a row that comes due later (the earliest due time it knows), each with a fallback
poll far longer than the test's wait, so only the wake-up can explain the delivery."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text, update

from app.clock import ManualClock
from app.delivery import outbox
from app.delivery.config import WorkerConfig
from app.delivery.wakeup import OutboxListener
from app.delivery.worker import DeliveryWorker
from app.runtime import Runtime, build_runtime
from app.sandbox.slack_api import SlackStandIn
from app.store.db import transaction
from app.store.models import OutboxMessage
from tests.delivery.conftest import TEAM, WorkerFactory, for_the_claim, outbox_row
from tests.waiting import eventually

# Far longer than any wait below: a delivery inside the wait is not the fallback poll's doing.
NEVER = 3600.0


def _post(runtime: Runtime, key: str, *, due_in: timedelta = timedelta(0)) -> None:
    _post_to(runtime, key, channel="C0GENERAL", due_in=due_in)


def _post_to(runtime: Runtime, key: str, *, channel: str, due_in: timedelta = timedelta(0)) -> None:
    with transaction(runtime.sessions) as session:
        if due_in:
            # Due later: the worker's claim finds it then.
            for_the_claim(session)
        now = runtime.clock.now()
        outbox.queue(
            session,
            team_id=TEAM,
            method="chat.postMessage",
            args={"channel": channel, "text": key},
            dedupe_key=key,
            now=now,
        )
        if due_in:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.dedupe_key == key)
                .values(next_attempt_at=now + due_in)
            )


def test_a_row_queued_by_another_process_wakes_the_worker_through_notify(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's; SQLite serves one process")
    worker = make_worker(WorkerConfig(poll_seconds=NEVER))
    assert worker.listener is not None
    worker.start()
    assert worker.listener.wait_listening(timeout=30)
    # Another process: its own engine and doorbell, which the worker does not hear.
    other = build_runtime(runtime.settings)
    try:
        for key in ("first", "second"):
            _post(other, key)
            row = eventually(
                lambda key=key: outbox_row(runtime, key),  # type: ignore[misc]
                lambda row: row.status == "sent",
                what=f"{key} sent",
                timeout=30,
            )
            assert row.attempts == 1
    finally:
        other.close()
    assert worker.listener.heard >= 2
    assert [m["text"] for m in slack.posted_messages("C0GENERAL")] == ["first", "second"]


def test_a_row_due_later_is_sent_when_due_without_a_poll(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    worker = make_worker(WorkerConfig(poll_seconds=NEVER))
    # SQLite's worker looks every few seconds whatever it is given: lengthen it past the wait.
    worker.config = replace(worker.config, poll_seconds=NEVER)
    worker.start()
    _post(runtime, "later", due_in=timedelta(seconds=1))
    row = eventually(
        lambda: outbox_row(runtime, "later"),
        lambda row: row.status == "sent",
        what="the row sent once due",
        timeout=30,
    )
    assert row.finished_at is not None
    assert row.finished_at >= row.created_at + timedelta(seconds=1)
    assert [m["text"] for m in slack.posted_messages("C0GENERAL")] == ["later"]


def test_an_idle_worker_sleeps_until_the_earliest_row_it_knows_comes_due(
    runtime: Runtime, make_worker: WorkerFactory
) -> None:
    worker = _unhurried_worker(runtime, make_worker)
    # Nothing queued: only the fallback bounds the sleep.
    assert _idle_wait(runtime, worker) == NEVER
    _post(runtime, "in an hour", due_in=timedelta(hours=1))
    _post(runtime, "in a minute", due_in=timedelta(minutes=1))
    assert _idle_wait(runtime, worker) == 60
    # Sent to a worker that died: its lease, sooner than either, is watched.
    _lease(runtime, "in an hour", seconds=20, to="a worker that died")
    assert _idle_wait(runtime, worker) == pytest.approx(20, abs=0.001)
    # A lease of its own, sooner still, is not: it records that row itself when its call ends.
    _lease(runtime, "in a minute", seconds=10, to=worker.id)
    assert _idle_wait(runtime, worker) == pytest.approx(20, abs=0.001)
    # The fallback bounds a later due time.
    worker.config = replace(worker.config, poll_seconds=5)
    assert _idle_wait(runtime, worker) == 5


def test_a_row_the_round_put_off_for_its_channel_is_what_the_idle_worker_wakes_for(
    runtime: Runtime, make_worker: WorkerFactory
) -> None:
    worker = _unhurried_worker(runtime, make_worker)
    # One more than the channel's burst: the round claims three and puts the fourth off for
    # the channel's next slot, a time no row had when the claim's statement read the table.
    for n in range(worker.pacer.burst + 1):
        _post(runtime, f"post {n}")
    with ThreadPoolExecutor(1) as pool:
        worker._pool = pool
        assert worker._step()
        assert not worker._next.full
        wait = worker._idle_wait()
    put_off = outbox_row(runtime, f"post {worker.pacer.burst}")
    assert put_off.status == "pending"
    assert wait == pytest.approx((put_off.next_attempt_at - runtime.clock.now()).total_seconds())
    assert 0 < wait <= 1 / worker.pacer.rate


def test_a_round_that_only_records_what_ended_claims_nothing_until_rows_are_queued(
    runtime: Runtime, make_worker: WorkerFactory
) -> None:
    worker = _unhurried_worker(runtime, make_worker)
    claims: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        # The claim of waiting rows is the statement that also says when the rest come due.
        if "next_waiting" in statement:
            claims.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        _post(runtime, "first")
        assert _round(worker)  # claims the post and calls Slack
        assert len(claims) == 1
        # Its call ended: the round records it, and claims nothing, since nothing can have come
        # due that the last claim did not see (no ring, no due time, no follower let go).
        assert _round(worker)
        assert outbox_row(runtime, "first").status == "sent"
        assert len(claims) == 1
        assert not _round(worker)
        assert len(claims) == 1
        # A commit that queues rings the doorbell: the next round claims.
        _post(runtime, "second")
        assert _round(worker)
        assert len(claims) == 2
        assert _round(worker)
        assert outbox_row(runtime, "second").status == "sent"
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)


def test_a_call_that_went_through_waits_for_the_next_round_and_one_that_failed_rings(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    worker = _unhurried_worker(runtime, make_worker)
    _post(runtime, "first")
    # The commit rang; the loop clears the bell before a pass, as here.
    worker._wake.clear()
    assert _round(worker)
    assert [m["text"] for m in slack.posted_messages("C0GENERAL")] == ["first"]
    # Posted, and no round is started for recording it alone.
    assert not worker._wake.is_set()
    assert outbox_row(runtime, "first").status == "sending"
    # The next commit's round records it while claiming what was queued.
    _post(runtime, "second")
    worker._wake.clear()
    assert _round(worker)
    assert outbox_row(runtime, "first").status == "sent"
    assert outbox_row(runtime, "second").status == "sending"
    # A call that did not go through rings for its round at once.
    _post_to(runtime, "nowhere", channel="C0NOWHERE")
    worker._wake.clear()
    assert _round(worker)
    assert worker._wake.is_set()
    assert _round(worker)
    assert outbox_row(runtime, "second").status == "sent"
    assert outbox_row(runtime, "nowhere").status == "failed"


def test_a_call_that_went_through_is_recorded_within_the_bound_when_nothing_else_comes(
    runtime: Runtime, make_worker: WorkerFactory
) -> None:
    worker = make_worker(WorkerConfig(poll_seconds=NEVER, record_within_seconds=0.2))
    worker.config = replace(worker.config, poll_seconds=NEVER)
    worker.start()
    _post(runtime, "alone")
    eventually(
        lambda: outbox_row(runtime, "alone"),
        lambda row: row.status == "sent",
        what="the row recorded sent with nothing else queued",
        timeout=30,
    )
    # While nothing is held, the worker sleeps as long as it did.
    assert worker._record_bound(NEVER) == NEVER


def test_rows_committed_one_after_another_are_claimed_together(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    claims: list[float] = []

    def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "next_waiting" in statement:
            claims.append(time.monotonic())

    worker = make_worker(WorkerConfig(poll_seconds=NEVER, claim_every_seconds=0.5))
    worker.config = replace(worker.config, poll_seconds=NEVER)
    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        worker.start()
        eventually(lambda: len(claims), lambda n: n >= 1, what="the first claim", timeout=30)
        first = len(claims)
        # Three commits 20 ms apart (the channel's burst), each ringing the doorbell, all within
        # the half second after the last claim: a claim each without gathering, one with it.
        for n in range(3):
            _post(runtime, f"burst {n}")
            time.sleep(0.02)
        for n in range(3):
            eventually(
                lambda n=n: outbox_row(runtime, f"burst {n}"),  # type: ignore[misc]
                lambda row: row.status == "sent",
                what=f"burst {n} sent",
                timeout=30,
            )
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)
    assert len(claims) - first <= 2
    assert len(slack.posted_messages("C0GENERAL")) == 3


def _round(worker: DeliveryWorker) -> bool:
    """One round of `worker` (not started), its calls finished before this returns."""
    with ThreadPoolExecutor(1) as pool:
        worker._pool = pool
        return worker._step()


def _unhurried_worker(runtime: Runtime, make_worker: WorkerFactory) -> DeliveryWorker:
    """A worker (not started) on a clock that stands still, whose fallback poll never comes."""
    runtime.clock = ManualClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    worker = make_worker(WorkerConfig(poll_seconds=NEVER))
    worker.config = replace(worker.config, poll_seconds=NEVER)
    return worker


def _lease(runtime: Runtime, key: str, *, seconds: float, to: str) -> None:
    """Make row `key` one that worker `to` is sending, its lease running out in `seconds`."""
    with transaction(runtime.sessions) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == key)
            .values(
                status="sending",
                claimed_by=to,
                lease_expires_at=runtime.clock.now() + timedelta(seconds=seconds),
            )
        )


def _idle_wait(runtime: Runtime, worker: DeliveryWorker) -> float:
    """How long `worker` (not started) would sleep after a pass now, which claims nothing.

    The doorbell is rung first, as a commit that queued rows rings it: a pass claims only when
    something may have come due that its last claim did not see, and the rows changed here
    behind its back are announced by nothing else."""
    runtime.doorbell.set()
    with ThreadPoolExecutor(1) as pool:
        worker._pool = pool
        assert not worker._step()
    return worker._idle_wait()


def test_the_listener_listens_again_after_losing_its_connection(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    worker = make_worker(WorkerConfig(poll_seconds=NEVER, retry_seconds=0.1))
    assert worker.listener is not None
    worker.start()
    assert worker.listener.wait_listening(timeout=30)
    # The server drops the listening connection (a restart, a failover, an idle timeout).
    with runtime.engine.connect() as connection:
        dropped = connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
        )
    assert dropped == 1
    # Queued by another process whether or not the listener is back yet: it is delivered by the
    # NOTIFY if it is, by the look the listener takes on reconnecting if not; never otherwise.
    other = build_runtime(runtime.settings)
    try:
        _post(other, "after the drop")
    finally:
        other.close()
    eventually(
        lambda: outbox_row(runtime, "after the drop"),
        lambda row: row.status == "sent",
        what="the row queued after the drop sent",
        timeout=30,
    )


def test_the_listener_rings_for_other_processes_not_for_its_own_commits(
    runtime: Runtime,
) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    # Its own doorbell, apart from the one this process's commits ring, so a ring can only be
    # the listener's.
    doorbell = threading.Event()
    listener = OutboxListener(runtime.engine, doorbell, retry_seconds=0.1)
    listener.start()
    try:
        assert listener.wait_listening(timeout=30)
        eventually(doorbell.is_set, what="the look on listening")
        doorbell.clear()
        # This process's own commit: heard, and not rung again (its commit rang the process's).
        _post(runtime, "ours")
        eventually(lambda: listener.heard, lambda heard: heard >= 1, what="our NOTIFY heard")
        assert not doorbell.is_set()
        other = build_runtime(runtime.settings)
        try:
            _post(other, "theirs")
        finally:
            other.close()
        eventually(doorbell.is_set, what="another process's NOTIFY rung")
        assert listener.heard >= 2
    finally:
        listener.stop()
