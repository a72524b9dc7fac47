"""Rounds leasing ahead of the senders: calls paced as they leave, backlogs given successive
slots, rows leased but not called handed back."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.clock import ManualClock
from app.delivery import outbox
from app.delivery.config import WorkerConfig
from app.delivery.pacing import Pacer
from app.runtime import Runtime
from app.sandbox.slack_api import SlackStandIn
from app.store.db import transaction
from tests.clocks import HandClock
from tests.conftest import BOT_TOKEN
from tests.delivery.conftest import (
    FAST,
    REAL,
    TEAM,
    ManualTime,
    WorkerFactory,
    outbox_row,
)
from tests.waiting import eventually


def _queue(runtime: Runtime, channel: str, keys: list[str]) -> None:
    """Queue one post per key in `channel`, all in one transaction (so one round claims them)."""
    with transaction(runtime.sessions) as session:
        now = runtime.clock.now()
        outbox.queue_all(
            session,
            [
                outbox.entry(
                    team_id=TEAM,
                    method="chat.postMessage",
                    args={"channel": channel, "text": key},
                    dedupe_key=key,
                    now=now,
                )
                for key in keys
            ],
        )


def test_a_call_leaves_only_a_slot_after_the_answer_to_the_channels_last_one() -> None:
    clock = HandClock(100.0)
    pacer = Pacer(rate=1.0, burst=1, monotonic=clock)
    first = pacer.start_call("T", "C1")
    assert first == 0
    # Its answer came 0.25 s later: Slack may have counted it as late as that.
    clock.now += 0.25
    pacer.end_call("T", "C1", called=True)
    clock.now += 0.75
    assert pacer.start_call("T", "C1") == 0.25
    assert pacer.start_call("T", "C2") == 0
    clock.now += 0.25
    assert pacer.start_call("T", "C1") == 0


def test_calls_that_left_after_a_late_one_count_from_its_answer() -> None:
    clock = HandClock(100.0)
    pacer = Pacer(rate=1.0, burst=3, monotonic=clock)
    burst = [pacer.start_call("T", "C1") for _ in range(3)]
    assert burst == [0, 0, 0]
    # All three answered 0.2 s later: all three may have reached Slack then, its bucket empty
    # at 100.2 and one post allowed again at 101.2, not at 101.0 as their departures say.
    clock.now += 0.2
    for _ in burst:
        pacer.end_call("T", "C1", called=True)
    clock.now += 0.8
    assert pacer.start_call("T", "C1") == pytest.approx(0.2)
    clock.now += 0.2
    assert pacer.start_call("T", "C1") == 0


def test_a_call_still_in_flight_counts_as_arriving_now_when_the_next_asks_to_leave() -> None:
    clock = HandClock(100.0)
    pacer = Pacer(rate=1.0, burst=3, monotonic=clock)
    # The channel's first call leaves, but its connection takes a second to open (a SYN
    # retransmitted): it is still in flight while two later calls go and are answered.
    late = pacer.start_call("T", "C1")
    clock.now = 100.3
    second = pacer.start_call("T", "C1")
    clock.now = 100.31
    pacer.end_call("T", "C1", called=True)
    clock.now = 100.55
    third = pacer.start_call("T", "C1")
    clock.now = 100.56
    pacer.end_call("T", "C1", called=True)
    assert (late, second, third) == (0, 0, 0)
    # Slack's bucket, as the answers bound it: 3 at 100.31, 1.25 after 100.56. Should the late
    # call arrive now, it takes one and the next needs another: 0.29 s more (counted from
    # departures, the fourth went at 101.0, and the late call, arriving after it, was refused).
    clock.now = 101.02
    assert pacer.start_call("T", "C1") == pytest.approx(0.29)
    # Once it is answered, it counts from its answer like the rest.
    clock.now = 101.2
    pacer.end_call("T", "C1", called=True)
    assert pacer.start_call("T", "C1") == pytest.approx(0.11)
    clock.now = 101.31
    assert pacer.start_call("T", "C1") == 0


def test_a_call_that_was_not_made_leaves_its_slot_to_the_next() -> None:
    clock = HandClock(100.0)
    pacer = Pacer(rate=1.0, burst=1, monotonic=clock)
    first = pacer.start_call("T", "C1")
    assert first == 0
    # A lookup found the post: nothing reached the channel.
    pacer.end_call("T", "C1", called=False)
    assert pacer.start_call("T", "C1") == 0
    assert pacer.start_call("T", "C1") == 1.0


def test_a_backlog_put_off_in_one_round_waits_for_successive_slots(
    manual: ManualTime, slack: SlackStandIn
) -> None:
    slack.add_channel("C0BUSY", "busy")
    start = manual.now()
    _queue(manual.runtime, "C0BUSY", [f"busy-{n}" for n in range(6)])
    manual.settle()
    rows = [outbox_row(manual.runtime, f"busy-{n}") for n in range(6)]
    assert [row.status for row in rows] == ["sent"] * 3 + ["pending"] * 3
    # One slot each, in order: read again once per slot, not all at once each second.
    waits = [round((row.next_attempt_at - start).total_seconds(), 2) for row in rows[3:]]
    assert waits == [1, 2, 3]


class _HeldToken:
    """Hands out the bot token, but the first caller waits until `release` is set."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self._first = True

    def bot_token(self, team_id: str) -> str | None:
        if self._first:
            self._first = False
            self.entered.set()
            self.release.wait(30)
        return BOT_TOKEN


def test_a_stopping_worker_hands_back_what_it_leased_but_did_not_call(
    runtime: Runtime, make_worker: WorkerFactory, slack: SlackStandIn
) -> None:
    worker = make_worker(WorkerConfig(concurrency=1, poll_seconds=FAST.poll_seconds))
    tokens = _HeldToken()
    worker.tokens = tokens
    keys = ["first", "second", "third"]
    _queue(runtime, "C0GENERAL", keys)
    worker.start()
    # One sender, busy with the first row; the round leased the other two behind it.
    eventually(
        lambda: [outbox_row(runtime, key).status for key in keys],
        lambda statuses: statuses == ["sending"] * 3,
        what="all three rows leased",
    )
    # The sender is inside the first row's call (a row leased but not yet started would be
    # handed back too, and nothing posted).
    assert tokens.entered.wait(30)
    stopping = threading.Thread(target=worker.stop)
    stopping.start()
    eventually(lambda: worker._stopping.is_set(), bool, what="the worker stopping")
    tokens.release.set()
    stopping.join(30)
    assert [m["text"] for m in slack.posted_messages("C0GENERAL")] == ["first"]
    for key in keys[1:]:
        row = outbox_row(runtime, key)
        # As it was before its claim: due, no attempt counted, not marked unsure.
        assert (row.status, row.attempts, row.claimed_by, row.last_error) == (
            "pending",
            0,
            None,
            None,
        )


def test_a_round_that_put_off_all_it_read_goes_on_to_the_rows_behind_them(
    runtime: Runtime, make_worker: WorkerFactory, slack: SlackStandIn
) -> None:
    # Rounds of two rows, no fallback poll, and time that moves only when the test moves it:
    # only the worker's own next round can reach the row queued behind a put-off pair.
    clock = ManualClock(datetime.now(UTC) - timedelta(hours=1))
    start = clock.now()
    runtime.clock = clock
    worker = make_worker(
        replace(REAL, batch_size=2, poll_seconds=3600.0),
        monotonic=lambda: (clock.now() - start).total_seconds(),
    )
    # Not even SQLite's fallback poll (build_worker caps it at a few seconds).
    worker.config = replace(worker.config, poll_seconds=3600.0)
    # Slack asked for an hour's pause in posting: the two posts are put off for that hour.
    worker.pacer.cool_down(TEAM, "chat.postMessage", 3600.0)
    _queue(runtime, "C0GENERAL", ["held-1", "held-2"])
    with transaction(runtime.sessions) as session:
        outbox.queue(
            session,
            team_id=TEAM,
            method="chat.postEphemeral",
            args={"channel": "C0GENERAL", "user": "U0ALICE", "text": "behind"},
            dedupe_key="behind",
            now=clock.now(),
        )
    worker.start()
    manual = ManualTime(runtime, worker, clock)
    manual.settle()
    assert outbox_row(runtime, "behind").status == "sent"
    # One after the other, in the channel's successive slots after the pause.
    for key, due in (("held-1", 3600), ("held-2", 3601)):
        row = outbox_row(runtime, key)
        assert (row.status, row.next_attempt_at) == ("pending", start + timedelta(seconds=due))
