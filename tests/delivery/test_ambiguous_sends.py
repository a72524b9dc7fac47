"""Posts whose first try ended without an answer (a timeout, a 5xx) are delivered exactly once.

The stand-in, like Slack, still posts a message whose caller gave up waiting. The worker tags each
post with its outbox row's key as message metadata and, after an unsure attempt, looks on Slack for
that tag before posting again.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.delivery import outbox, sender
from app.delivery.sender import OUTBOX_EVENT
from app.delivery.worker import WorkerConfig
from app.runtime import Runtime
from app.sandbox.slack_api import SlackStandIn
from app.slack.web_api import WebApi
from app.store.db import transaction
from app.store.models import OutboxMessage
from tests.conftest import BOT_TOKEN
from tests.delivery.conftest import FAST, TEAM, WorkerFactory, outbox_row

CLIENT_TIMEOUT = 0.5
HANG = 1.5
# Long enough for the hung call to have posted by the time the worker looks.
PATIENT = replace(FAST, unsure_wait_seconds=HANG + 0.5)


@pytest.fixture
def impatient(runtime: Runtime, slack: SlackStandIn) -> Runtime:
    """`runtime` with a Web API client that gives up after half a second."""
    runtime.slack.close()
    runtime.slack = WebApi(slack.base_url, timeout=CLIENT_TIMEOUT)
    return runtime


def _queue(runtime: Runtime, key: str, method: outbox.Method, args: dict[str, Any]) -> None:
    with transaction(runtime.sessions) as session:
        outbox.queue(
            session,
            team_id=TEAM,
            method=method,
            args=args,
            dedupe_key=key,
            now=runtime.clock.now(),
        )


def _deliver(runtime: Runtime, make_worker: WorkerFactory, config: WorkerConfig = PATIENT) -> None:
    make_worker(config).drain(timeout=20)


def _tag(key: str) -> dict[str, Any]:
    return {"event_type": OUTBOX_EVENT, "event_payload": {"key": key}}


def test_a_channel_post_that_timed_out_but_was_posted_is_not_posted_again(
    impatient: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.hang_next("chat.postMessage", seconds=HANG)
    _queue(impatient, "kudos:1:post", "chat.postMessage", {"channel": "C0GENERAL", "text": "hi"})
    # A follower proves the found message is recorded like a fresh post: it edits that one.
    with transaction(impatient.sessions) as session:
        outbox.queue(
            session,
            team_id=TEAM,
            method="chat.update",
            args={"channel": outbox.AFTER_CHANNEL, "ts": outbox.AFTER_TS, "text": "edited"},
            dedupe_key="kudos:1:edit",
            after_key="kudos:1:post",
            now=impatient.clock.now(),
        )
    _deliver(impatient, make_worker)
    (message,) = slack.posted_messages("C0GENERAL")
    assert message["metadata"] == _tag("kudos:1:post")
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.calls_to("conversations.history")) == 1
    row = outbox_row(impatient, "kudos:1:post")
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert (row.result_channel, row.result_ts) == ("C0GENERAL", message["ts"])
    (update,) = slack.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"], update.ok) == (
        "C0GENERAL",
        message["ts"],
        True,
    )
    assert slack.channels["C0GENERAL"].messages[message["ts"]]["text"] == "edited"


def test_a_dm_that_timed_out_but_was_posted_is_not_posted_again(
    impatient: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.hang_next("chat.postMessage", seconds=HANG)
    _queue(impatient, "welcome:U0BOB", "dm", {"user": "U0BOB", "text": "welcome"})
    _deliver(impatient, make_worker)
    (message,) = slack.posted_messages("D0BOB")
    assert len(slack.calls_to("chat.postMessage")) == 1
    # The DM's D… id comes from conversations.open, then its history is searched.
    assert [c.args["users"] for c in slack.calls_to("conversations.open")] == ["U0BOB"]
    assert [c.args["channel"] for c in slack.calls_to("conversations.history")] == ["D0BOB"]
    row = outbox_row(impatient, "welcome:U0BOB")
    assert (row.status, row.result_channel, row.result_ts) == ("sent", "D0BOB", message["ts"])


def test_a_server_error_that_posted_nothing_is_posted_once_after_looking(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.fail_next("chat.postMessage", status=500)
    _queue(runtime, "ask:7:post", "chat.postMessage", {"channel": "C0GENERAL", "text": "help?"})
    _deliver(runtime, make_worker, replace(FAST, unsure_wait_seconds=0.1))
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 200]
    (looked,) = slack.calls_to("conversations.history")
    assert looked.args["include_all_metadata"] == "true"
    assert looked.args["limit"] == "200"
    # From a few seconds before the row was queued.
    queued = outbox_row(runtime, "ask:7:post").created_at
    assert queued.timestamp() - 10 < float(looked.args["oldest"]) < queued.timestamp()
    (message,) = slack.posted_messages("C0GENERAL")
    assert message["metadata"] == _tag("ask:7:post")
    row = outbox_row(runtime, "ask:7:post")
    assert (row.status, row.result_ts) == ("sent", message["ts"])


def test_a_thread_reply_that_timed_out_but_was_posted_is_not_posted_again(
    impatient: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    parent = impatient.slack.call(
        "chat.postMessage", BOT_TOKEN, {"channel": "C0GENERAL", "text": "an ask"}
    )["ts"]
    slack.hang_next("chat.postMessage", seconds=HANG)
    _queue(
        impatient,
        "ask:1:reply",
        "chat.postMessage",
        {"channel": "C0GENERAL", "thread_ts": parent, "text": "I can help"},
    )
    _deliver(impatient, make_worker)
    replies = [m for m in slack.posted_messages("C0GENERAL") if m.get("thread_ts") == parent]
    assert [m["text"] for m in replies] == ["I can help"]
    # Replies are not in the channel's history: the thread is searched.
    assert [c.args["ts"] for c in slack.calls_to("conversations.replies")] == [parent]
    assert slack.calls_to("conversations.history") == []
    row = outbox_row(impatient, "ask:1:reply")
    assert (row.status, row.result_ts) == ("sent", replies[0]["ts"])


def test_a_lookup_that_fails_is_retried_and_never_replaced_by_a_blind_post(
    impatient: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.hang_next("chat.postMessage", seconds=HANG)
    slack.fail_next("conversations.history", times=2, status=503)
    _queue(impatient, "digest:1", "chat.postMessage", {"channel": "C0GENERAL", "text": "week"})
    _deliver(impatient, make_worker, replace(PATIENT, max_backoff_seconds=0.1))
    assert [c.status for c in slack.calls_to("conversations.history")] == [503, 503, 200]
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.posted_messages("C0GENERAL")) == 1
    row = outbox_row(impatient, "digest:1")
    assert (row.status, row.attempts) == ("sent", 4)


def test_a_lookup_slack_refuses_for_good_falls_back_to_posting_and_warns_once(
    impatient: Runtime,
    slack: SlackStandIn,
    make_worker: WorkerFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Public, and the bot is not in it: it may post there but not read the history.
    slack.add_channel("C0OPEN", "open", bot_is_member=False)
    monkeypatch.setattr(sender, "_warned", set())  # earlier tests may have warned already
    slack.hang_next("chat.postMessage", times=2, seconds=HANG)
    for n in range(2):
        _queue(impatient, f"open:{n}", "chat.postMessage", {"channel": "C0OPEN", "text": f"{n}"})
    with caplog.at_level(logging.WARNING, logger="app.delivery.sender"):
        _deliver(impatient, make_worker)
    # At-least-once here: both hung posts landed and both were posted again.
    assert sorted(m["text"] for m in slack.posted_messages("C0OPEN")) == ["0", "0", "1", "1"]
    assert {outbox_row(impatient, f"open:{n}").status for n in range(2)} == {"sent"}
    warnings = [r for r in caplog.records if "not_in_channel" in r.getMessage()]
    assert len(warnings) == 1


def test_a_post_made_by_a_worker_that_died_is_found_not_repeated(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _queue(runtime, "orphan", "chat.postMessage", {"channel": "C0GENERAL", "text": "hello"})
    # The dead worker's call reached Slack before it died; its "sent" never committed.
    posted = runtime.slack.call(
        "chat.postMessage",
        BOT_TOKEN,
        {"channel": "C0GENERAL", "text": "hello", "metadata": _tag("orphan")},
    )
    with transaction(runtime.sessions) as session:
        row = session.scalars(select(OutboxMessage)).one()
        row.status, row.claimed_by, row.attempts = "sending", "dead-worker", 1
        row.lease_expires_at = runtime.clock.now() - timedelta(seconds=1)
    slack.reset_calls()
    _deliver(runtime, make_worker)
    assert slack.calls_to("chat.postMessage") == []
    row = outbox_row(runtime, "orphan")
    assert (row.status, row.result_ts) == ("sent", posted["ts"])


def test_a_post_still_in_flight_when_its_lease_ran_out_is_not_repeated(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    # A lease shorter than a slow call: another worker takes the row over while Slack is still
    # posting it, so it must not look before the call could have ended.
    config = replace(PATIENT, lease_seconds=0.5)
    _queue(runtime, "slow", "chat.postMessage", {"channel": "C0GENERAL", "text": "slow"})
    with transaction(runtime.sessions) as session:
        row = session.scalars(select(OutboxMessage)).one()
        row.status, row.claimed_by, row.attempts = "sending", "slow-worker", 1
        row.lease_expires_at = runtime.clock.now() - timedelta(seconds=0.1)

    def slow_call() -> None:
        time.sleep(HANG / 2)
        runtime.slack.call(
            "chat.postMessage",
            BOT_TOKEN,
            {"channel": "C0GENERAL", "text": "slow", "metadata": _tag("slow")},
        )

    in_flight = threading.Thread(target=slow_call)
    in_flight.start()
    try:
        _deliver(runtime, make_worker, config)
    finally:
        in_flight.join()
    posts = [c for c in slack.calls_to("chat.postMessage") if c.args.get("text") == "slow"]
    assert len(posts) == 1
    assert outbox_row(runtime, "slow").status == "sent"


def test_an_ephemeral_message_is_not_looked_for(
    impatient: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    # Slack keeps no history of ephemeral messages: these stay at-least-once.
    slack.hang_next("chat.postEphemeral", seconds=HANG)
    _queue(
        impatient,
        "psst",
        "chat.postEphemeral",
        {"channel": "C0GENERAL", "user": "U0ALICE", "text": "psst"},
    )
    started = time.monotonic()
    _deliver(impatient, make_worker)
    assert time.monotonic() - started < PATIENT.unsure_wait_seconds
    assert slack.calls_to("conversations.history") == []
    assert outbox_row(impatient, "psst").status == "sent"
