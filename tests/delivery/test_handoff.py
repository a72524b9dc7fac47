"""Rows a running worker can send at once are written leased to it as they are queued, and
handed over as their transaction commits: no claim, and a later round records them. What cannot
go at once (its channel's pace, a follower the caller cannot chain, no room, due later, no
worker) is queued for the claim as before; a rollback or a known key gives back what it took."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.delivery.config import WorkerConfig
from app.delivery.handoff import Lane, Taker
from app.delivery.holdings import Holdings
from app.delivery.worker import DeliveryWorker
from app.permalinks import permalink
from app.runtime import Runtime
from app.sandbox.answers import Answer
from app.sandbox.slack_api import SlackStandIn
from app.store.db import transaction
from app.store.models import OutboxMessage
from tests.delivery.conftest import FAST, TEAM, WorkerFactory, outbox_row
from tests.waiting import eventually

# The worker records and claims only when asked: whatever goes out without a claim was handed
# over.
QUIET = WorkerConfig(concurrency=8, poll_seconds=3600.0)


def _post(key: str, channel: str = "C0GENERAL", **fields: Any) -> dict[str, Any]:
    return {
        "method": "chat.postMessage",
        "args": {"channel": channel, "text": key},
        "dedupe_key": key,
        **fields,
    }


def _queue(
    runtime: Runtime,
    *entries: dict[str, Any],
    followers: bool = False,
    domain: str | None = None,
    later: timedelta = timedelta(0),
) -> dict[str, tuple[str, str | None, int]]:
    """Queue `entries` (keywords of `outbox.entry`) in one transaction, `later` than now; return
    each row's (status, claimed_by, attempts) as the transaction wrote it, before it commits."""
    now = runtime.clock.now() + later
    with transaction(runtime.sessions) as session:
        rows = [outbox.entry(team_id=TEAM, now=now, **entry) for entry in entries]
        outbox.queue_all(session, rows, domain=domain, followers=followers)
        return _written(session, [entry["dedupe_key"] for entry in entries])


def _written(session: Session, keys: list[str]) -> dict[str, tuple[str, str | None, int]]:
    found = session.execute(
        select(
            OutboxMessage.dedupe_key,
            OutboxMessage.status,
            OutboxMessage.claimed_by,
            OutboxMessage.attempts,
        ).where(OutboxMessage.dedupe_key.in_(keys))
    )
    return {row.dedupe_key: (row.status, row.claimed_by, row.attempts) for row in found}


def _sent(runtime: Runtime, *keys: str) -> None:
    for key in keys:
        eventually(
            lambda key=key: outbox_row(runtime, key).status,  # type: ignore[misc]
            lambda status: status == "sent",
            what=f"{key} sent",
            timeout=30,
        )


@pytest.fixture(autouse=True)
def _channels(slack: SlackStandIn) -> None:
    for channel in ("C0NOTE", "C0NOTE1", "C0NOTE2", "C0OTHER"):
        slack.add_channel(channel, channel.lower(), bot_is_member=True)


def _started(make_worker: WorkerFactory, config: WorkerConfig = QUIET) -> DeliveryWorker:
    worker = make_worker(config)
    worker.start()
    # Its first round claims whatever is due (nothing): the next claims only when rung.
    eventually(lambda: worker._next.owed, lambda owed: not owed, what="the first claim")
    return worker


def test_a_row_queued_while_the_worker_runs_is_written_leased_to_it_and_goes_without_a_claim(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    worker = _started(make_worker)
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        outbox.queue_all(session, [outbox.entry(team_id=TEAM, now=now, **_post("hello"))])
        assert _written(session, ["hello"]) == {"hello": ("sending", worker.id, 1)}
        lease = session.scalar(select(OutboxMessage.lease_expires_at))
        assert lease == now + timedelta(seconds=QUIET.lease_seconds)
    _sent(runtime, "hello")
    assert [m["text"] for m in slack.posted_messages("C0GENERAL")] == ["hello"]
    # Recorded by a round, which lets go of it: the worker's room is whole again.
    eventually(worker.holdings.free, lambda free: free == worker.holdings.room, what="room")


def test_followers_the_caller_chains_go_right_behind_their_post_with_its_permalink(
    runtime: Runtime,
    slack: SlackStandIn,
    make_worker: WorkerFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _started(make_worker)
    seen: list[tuple[str, tuple[str, ...]]] = []
    answer = slack.handle_api

    def observed(method: str, args: dict[str, Any], token: str | None) -> Answer:
        keys = ("note:1", "note:2")
        seen.append((str(args.get("text")), tuple(outbox_row(runtime, k).status for k in keys)))
        return answer(method, args, token)

    monkeypatch.setattr(slack, "handle_api", observed)
    notes = [
        _post(f"note:{n}", f"C0NOTE{n}", after_key="post")
        | {"args": {"channel": f"C0NOTE{n}", "text": f"{n} {outbox.AFTER_PERMALINK}"}}
        for n in (1, 2)
    ]
    written = _queue(runtime, _post("post"), *notes, followers=True, domain="acme")
    assert {key: status for key, (status, _, _) in written.items()} == dict.fromkeys(
        ("post", "note:1", "note:2"), "sending"
    )
    _sent(runtime, "post", "note:1", "note:2")
    (post,) = slack.posted_messages("C0GENERAL")
    link = permalink("acme", "C0GENERAL", post["ts"])
    # Both notes were leased with the post before it went, and its sender called them right
    # behind it in their order (whether a round recorded a call in between is the loop's timing).
    assert seen[0] == ("post", ("sending", "sending"))
    assert [text for text, _ in seen[1:]] == [f"1 {link}", f"2 {link}"]


def test_without_the_workspaces_domain_only_the_post_is_handed_over(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _started(make_worker, FAST)
    note = {"args": {"channel": "C0NOTE", "text": outbox.AFTER_PERMALINK}, "after_key": "post"}
    written = _queue(runtime, _post("post"), _post("note", "C0NOTE") | note)
    assert {key: status for key, (status, _, _) in written.items()} == {
        "post": "sending",
        "note": "pending",
    }
    # The note waits for the post as any follower does, and links it by the stored domain.
    _sent(runtime, "post", "note")
    (post,) = slack.posted_messages("C0GENERAL")
    (sent,) = slack.posted_messages("C0NOTE")
    assert sent["text"] == permalink(None, "C0GENERAL", post["ts"])


def test_a_rolled_back_transaction_gives_back_the_room_and_the_channels_slots(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    worker = _started(make_worker)
    for _ in range(2):
        with pytest.raises(RuntimeError), transaction(runtime.sessions) as session:
            now = runtime.clock.now()
            rows = [outbox.entry(team_id=TEAM, now=now, **_post(f"gone:{n}")) for n in range(3)]
            outbox.queue_all(session, rows)
            assert _written(session, [f"gone:{n}" for n in range(3)])["gone:0"][0] == "sending"
            raise RuntimeError("the use case failed after queuing")
        assert worker.holdings.free() == worker.holdings.room
    # The channel's burst (3) was spent and given back twice: three posts still go at once.
    written = _queue(runtime, *(_post(f"kept:{n}") for n in range(3)))
    assert [status for status, _, _ in written.values()] == ["sending"] * 3
    _sent(runtime, "kept:0", "kept:1", "kept:2")
    texts = [m["text"] for m in slack.posted_messages("C0GENERAL")]
    assert sorted(texts) == ["kept:0", "kept:1", "kept:2"]


def test_a_channel_whose_slots_are_spent_leaves_its_row_to_the_claim(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    # A clock that never moves: the channel's burst of three never refills.
    _started(lambda config: make_worker(config, monotonic=lambda: 1000.0))
    written = _queue(runtime, *(_post(f"p:{n}") for n in range(4)))
    assert [written[f"p:{n}"][0] for n in range(4)] == ["sending"] * 3 + ["pending"]
    # Its own chain is cut there too: a follower must not overtake what it follows.
    follower = _post("after", "C0OTHER", after_key="p:3")
    assert _queue(runtime, follower, followers=True)["after"][0] == "pending"


def test_no_room_due_later_or_no_running_worker_leaves_rows_to_the_claim(
    runtime: Runtime, make_worker: WorkerFactory
) -> None:
    idle = make_worker(QUIET)
    assert _queue(runtime, _post("not-started"))["not-started"][0] == "pending"
    idle.start()
    eventually(lambda: idle._next.owed, lambda owed: not owed, what="the first claim")
    assert _queue(runtime, _post("later"), later=timedelta(hours=1))["later"][0] == "pending"
    idle.stop()
    assert _queue(runtime, _post("stopped"))["stopped"][0] == "pending"
    # Room for two rows: a post with two notes does not fit, and goes to the claim whole.
    small = make_worker(WorkerConfig(concurrency=1, batch_size=1, poll_seconds=3600.0))
    small.start()
    chain = [_post("big"), *(_post(f"big:{n}", after_key="big") for n in (1, 2))]
    written = _queue(runtime, *chain, followers=True, domain="acme")
    assert {status for status, _, _ in written.values()} == {"pending"}


def test_a_known_key_is_not_handed_over_again(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    worker = _started(make_worker)
    _queue(runtime, _post("once"))
    _sent(runtime, "once")
    # Queued again (a retried request): no new row, nothing sent, the room it took given back.
    assert _queue(runtime, _post("once")) == {"once": ("sent", None, 1)}
    eventually(worker.holdings.free, lambda free: free == worker.holdings.room, what="room")
    assert [m["text"] for m in slack.posted_messages("C0GENERAL")] == ["once"]


def test_a_new_follower_of_a_known_post_waits_for_it_as_any_follower(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _started(make_worker, FAST)
    _queue(runtime, _post("post"))
    _sent(runtime, "post")
    edit = {"args": {"channel": "C0NOTE", "text": f"see {outbox.AFTER_PERMALINK}"}}
    # The post's key is known, so only the follower is stored, leased behind a row that is not:
    # handed back, it goes the way of any follower, the post's link filled in.
    written = _queue(
        runtime,
        _post("post"),
        _post("post:edit", "C0NOTE", after_key="post") | edit,
        followers=True,
        domain="acme",
    )
    assert written["post:edit"][0] == "sending"
    _sent(runtime, "post:edit")
    (post,) = slack.posted_messages("C0GENERAL")
    (note,) = slack.posted_messages("C0NOTE")
    assert note["text"] == f"see {permalink(None, 'C0GENERAL', post['ts'])}"
    assert outbox_row(runtime, "post:edit").attempts == 1


def test_a_row_leased_to_a_worker_that_died_as_it_committed_is_looked_for_then_posted_once(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    # A worker whose process died as the transaction committed: it never took the row.
    dead = Taker("dead-worker", 0.5, make_worker().pacer, runtime.clock, lambda: 0.0)
    lane = Lane(dead, Holdings(10), lambda *handed: None)
    lane.open(runtime.sessions)
    try:
        written = _queue(runtime, _post("orphaned"))
    finally:
        lane.close()
    assert written == {"orphaned": ("sending", "dead-worker", 1)}
    # Another worker takes it over once the lease lapsed, looks for it on Slack, then posts it.
    config = WorkerConfig(lease_seconds=2.0, unsure_wait_seconds=0.1, poll_seconds=0.05)
    _started(make_worker, config)
    _sent(runtime, "orphaned")
    assert outbox_row(runtime, "orphaned").attempts == 2
    assert [call.args["channel"] for call in slack.calls_to("conversations.history")] == [
        "C0GENERAL"
    ]
    assert [m["text"] for m in slack.posted_messages("C0GENERAL")] == ["orphaned"]


def test_many_rows_queued_at_once_are_all_handed_over_under_their_own_ids(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _started(make_worker)
    # Unpaced calls, more than one statement's worth on SQLite (32 rows each).
    notes = [
        {
            "method": "chat.postEphemeral",
            "args": {"channel": "C0GENERAL", "user": "U0ALICE", "text": f"note {n}"},
            "dedupe_key": f"note:{n}",
        }
        for n in range(40)
    ]
    written = _queue(runtime, *notes)
    assert {status for status, _, _ in written.values()} == {"sending"}
    _sent(runtime, *(f"note:{n}" for n in range(40)))
    texts = sorted(str(call.args["text"]) for call in slack.calls_to("chat.postEphemeral"))
    assert texts == sorted(f"note {n}" for n in range(40))
