"""Posts whose try ended without a clear answer (a timeout, a 5xx, `fatal_error`) are delivered
exactly once.

The stand-in, like Slack, still posts a message whose caller gave up waiting, and can post one and
then answer a failure (`fail_next(..., after_effect=True)`). The worker tags each post with its
outbox row's key as message metadata and, after an unsure attempt, looks on Slack for that tag
before posting again: within seconds when Slack answered, after a longer wait when it may still be
carrying the call out. Tests on `manual` time assert the instants the worker scheduled.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.delivery import outbox, sender
from app.delivery.config import WorkerConfig
from app.delivery.sender import OUTBOX_EVENT, UNSURE
from app.permalinks import permalink
from app.runtime import Runtime
from app.sandbox.slack_api import SlackStandIn
from app.slackapi.http_pool import Answer, Origin
from app.slackapi.web_api import RateLimited, TransientError, WebApi
from app.store.db import transaction
from app.store.models import OutboxMessage
from tests.conftest import BOT_TOKEN
from tests.delivery.conftest import (
    FAST,
    REAL,
    TEAM,
    ManualTime,
    WorkerFactory,
    for_the_claim,
    outbox_row,
)

CLIENT_TIMEOUT = 0.5
HANG = 1.5
# Long enough for the hung call to have posted by the time the worker looks.
PATIENT = replace(FAST, unsure_wait_seconds=HANG + 0.5)


@pytest.fixture(autouse=True)
def member_of_general(slack: SlackStandIn) -> None:
    """The bot is in #general: lookups read its history, which Slack shows only to members."""
    slack.set_bot_member("C0GENERAL", True)


@pytest.fixture
def impatient(runtime: Runtime, slack: SlackStandIn) -> Runtime:
    """`runtime` with a Web API client that gives up after half a second."""
    runtime.slack.close()
    runtime.slack = WebApi(slack.base_url, timeout=CLIENT_TIMEOUT)
    return runtime


# What the tests' edits change a message to.
_EDITED = {"channel": outbox.AFTER_CHANNEL, "ts": outbox.AFTER_TS, "text": "edited"}


def _queue(
    runtime: Runtime,
    key: str,
    method: outbox.Method,
    args: dict[str, Any],
    after_key: str | None = None,
    *,
    edit_key: str | None = None,
) -> None:
    """Queue one message; with `edit_key`, an edit of it to "edited" in the same transaction,
    so one round claims both."""
    with transaction(runtime.sessions) as session:
        if edit_key is not None:
            for_the_claim(session)
        outbox.queue(
            session,
            team_id=TEAM,
            method=method,
            args=args,
            dedupe_key=key,
            now=runtime.clock.now(),
            after_key=after_key,
        )
        if edit_key is not None:
            outbox.queue(
                session,
                team_id=TEAM,
                method="chat.update",
                args=_EDITED,
                dedupe_key=edit_key,
                after_key=key,
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
    _queue(impatient, "kudos:1:edit", "chat.update", _EDITED, after_key="kudos:1:post")
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
    _deliver(runtime, make_worker, replace(FAST, answered_wait_seconds=0.1))
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
    # The failed lookups were answered: they are tried again after the (short) backoff.
    _deliver(impatient, make_worker, replace(PATIENT, answered_wait_seconds=0.1))
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
    impatient: Runtime, manual: ManualTime, slack: SlackStandIn
) -> None:
    # Slack keeps no history of ephemeral messages: these stay at-least-once.
    slack.hang_next("chat.postEphemeral", seconds=HANG)
    _queue(
        impatient,
        "psst",
        "chat.postEphemeral",
        {"channel": "C0GENERAL", "user": "U0ALICE", "text": "psst"},
    )
    manual.settle()
    row = outbox_row(impatient, "psst")
    # Not unsure, so no long wait: the plain backoff (at most 2 s after one try).
    assert not (row.last_error or "").startswith(UNSURE)
    assert row.next_attempt_at - manual.now() <= timedelta(seconds=2)
    assert manual.until_sent("psst").attempts == 2
    assert slack.calls_to("conversations.history") == []


# -- answered failures: Slack finished the call, and may have posted ----------------------------

ANSWERED_FAILURES = [
    pytest.param({"status": 500}, id="http-500"),
    pytest.param({"error": "fatal_error"}, id="fatal_error"),
    pytest.param({"error": "internal_error"}, id="internal_error"),
]


def _posts_to(slack: SlackStandIn, channel: str) -> list[Any]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == channel]


def _in_channel(slack: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    """What the channel holds, oldest first: a post answered with a failure counts too."""
    return sorted(slack.channels[channel].messages.values(), key=lambda m: float(m["ts"]))


@pytest.mark.parametrize("failure", ANSWERED_FAILURES)
def test_a_post_that_took_effect_before_an_answered_failure_appears_once(
    manual: ManualTime, slack: SlackStandIn, failure: dict[str, Any]
) -> None:
    runtime = manual.runtime
    slack.fail_next("chat.postMessage", after_effect=True, **failure)
    _queue(runtime, "kudos:1:post", "chat.postMessage", {"channel": "C0GENERAL", "text": "ty"})
    # The DM note that links to the post waits for it, then links the post that was found.
    _queue(
        runtime,
        "kudos:1:note:U0BOB",
        "dm",
        {"user": "U0BOB", "text": f"You got kudos: {outbox.AFTER_PERMALINK}"},
        after_key="kudos:1:post",
    )
    manual.settle()
    row = outbox_row(runtime, "kudos:1:post")
    assert (row.status, row.attempts) == ("pending", 1)
    assert (row.last_error or "").startswith(UNSURE)
    # Slack answered, so it is done with the call: the lookup comes within seconds.
    assert row.next_attempt_at - manual.now() == timedelta(seconds=REAL.answered_wait_seconds)
    assert outbox_row(runtime, "kudos:1:note:U0BOB").status == "pending"

    row = manual.until_sent("kudos:1:post")
    (message,) = _in_channel(slack, "C0GENERAL")
    assert message["metadata"] == _tag("kudos:1:post")
    assert len(_posts_to(slack, "C0GENERAL")) == 1
    assert len(slack.calls_to("conversations.history")) == 1
    assert (row.attempts, row.result_channel, row.result_ts) == (2, "C0GENERAL", message["ts"])
    manual.until_sent("kudos:1:note:U0BOB")
    (note,) = slack.posted_messages("D0BOB")
    assert note["text"] == f"You got kudos: {permalink(None, 'C0GENERAL', message['ts'])}"


def test_after_two_answered_server_errors_the_post_goes_out_within_seconds(
    manual: ManualTime, slack: SlackStandIn
) -> None:
    runtime = manual.runtime
    slack.fail_next("chat.postMessage", times=2, status=500)
    _queue(runtime, "kudos:2:post", "chat.postMessage", {"channel": "C0GENERAL", "text": "ty"})
    queued = manual.now()
    for attempt in (1, 2):
        manual.settle()
        row = outbox_row(runtime, "kudos:2:post")
        assert (row.status, row.attempts) == ("pending", attempt)
        wait = row.next_attempt_at - manual.now()
        # A moment for Slack to show a post it made, or the backoff once failures repeat; never
        # the wait for a call Slack may still be carrying out.
        shortest = timedelta(seconds=REAL.answered_wait_seconds)
        assert shortest <= wait <= max(shortest, timedelta(seconds=2**attempt))
        assert wait < timedelta(seconds=REAL.unsure_wait_seconds)
        manual.advance()
    row = manual.until_sent("kudos:2:post")
    assert row.finished_at is not None
    assert row.finished_at - queued < timedelta(seconds=10)
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 500, 200]
    # Each retry looked first, and found nothing to record.
    assert len(slack.calls_to("conversations.history")) == 2
    assert len(slack.posted_messages("C0GENERAL")) == 1


def test_a_timed_out_post_waits_for_slack_to_finish_before_looking(
    impatient: Runtime, manual: ManualTime, slack: SlackStandIn
) -> None:
    slack.hang_next("chat.postMessage", seconds=HANG)
    # Queued together, so one round claims both: the edit is to go right behind its post.
    post = {"channel": "C0GENERAL", "text": "slow"}
    _queue(impatient, "slow:post", "chat.postMessage", post, edit_key="slow:edit")
    manual.settle()
    row = outbox_row(impatient, "slow:post")
    assert (row.last_error or "").startswith(UNSURE + "chat.postMessage: timed out")
    # No answer: Slack may still be posting it, so the lookup waits the long wait.
    assert row.next_attempt_at - manual.now() == timedelta(seconds=REAL.unsure_wait_seconds)
    # Its follower, claimed with it to go right behind it, was handed back unsent, and waits
    # for it too: it is looked at again when the post's lookup is due, not each second between.
    edit = outbox_row(impatient, "slow:edit")
    assert (edit.status, edit.next_attempt_at) == ("pending", row.next_attempt_at)
    slack.wait_for("chat.postMessage", timeout=10)  # the stand-in finishes the hung call
    row = manual.until_sent("slow:post")
    (message,) = slack.posted_messages("C0GENERAL")
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert row.result_ts == message["ts"]
    manual.until_sent("slow:edit")
    assert slack.channels["C0GENERAL"].messages[message["ts"]]["text"] == "edited"


def test_an_update_answered_fatal_error_is_retried_without_a_lookup(
    manual: ManualTime, slack: SlackStandIn
) -> None:
    runtime = manual.runtime
    parent = runtime.slack.call(
        "chat.postMessage", BOT_TOKEN, {"channel": "C0GENERAL", "text": "v0"}
    )["ts"]
    slack.fail_next("chat.update", error="fatal_error", after_effect=True)
    _queue(runtime, "edit", "chat.update", {"channel": "C0GENERAL", "ts": parent, "text": "v1"})
    row = manual.until_sent("edit")
    # An edit can be made twice to the same effect: a retry is enough.
    assert [c.response.get("error") for c in slack.calls_to("chat.update")] == ["fatal_error", None]
    assert slack.calls_to("conversations.history") == []
    assert row.attempts == 2
    assert slack.channels["C0GENERAL"].messages[parent]["text"] == "v1"


def test_a_person_told_of_a_post_that_may_have_gone_through_is_asked_to_look_first(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.fail_next("chat.postMessage", times=2, status=500)
    response_url = slack.new_response_url()
    with transaction(runtime.sessions) as session:
        outbox.queue(
            session,
            team_id=TEAM,
            method="chat.postMessage",
            args={"channel": "C0GENERAL", "text": "ty"},
            dedupe_key="kudos:3:post",
            now=runtime.clock.now(),
            notice=outbox.Notice("U0ALICE", "your kudos for bob", response_url),
        )
    _deliver(runtime, make_worker, replace(FAST, answered_wait_seconds=0.05, max_attempts=2))
    row = outbox_row(runtime, "kudos:3:post")
    # Slack may have it: the row says so, and the person is not told to simply try again.
    assert (row.status, row.last_error) == ("failed", UNSURE + "chat.postMessage: HTTP 500")
    (told,) = slack.calls_to("response_url")
    assert told.args["text"].startswith(":warning: I'm not sure I delivered your kudos for bob")
    assert "Look for it before you try again" in told.args["text"]


# -- rate limits in an HTTP 200 body --------------------------------------------------------------


@pytest.mark.parametrize("error", ["ratelimited", "rate_limited"])
def test_an_http_200_rate_limit_is_retried_after_retry_after_without_failing_the_row(
    manual: ManualTime, slack: SlackStandIn, error: str
) -> None:
    runtime = manual.runtime
    slack.add_channel("C0OTHER", "other")
    slack.fail_next("chat.postMessage", error=error)
    _queue(runtime, "limited", "chat.postMessage", {"channel": "C0GENERAL", "text": "patient"})
    manual.settle()
    (refused,) = slack.calls_to("chat.postMessage")
    assert (refused.status, refused.response["error"]) == (200, error)
    row = outbox_row(runtime, "limited")
    # Not a failed try, and not unsure: Slack refused it and said when to come back (1 s when
    # its answer names no Retry-After).
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "ratelimited")
    assert row.next_attempt_at - manual.now() == timedelta(seconds=1)
    # The method cools down as after a 429: a post to another channel waits for it too.
    _queue(runtime, "other", "chat.postMessage", {"channel": "C0OTHER", "text": "me too"})
    manual.settle()
    other = outbox_row(runtime, "other")
    assert other.status == "pending"
    assert abs(other.next_attempt_at - row.next_attempt_at) < timedelta(milliseconds=1)
    row = manual.until_sent("limited")
    assert row.attempts == 1
    assert manual.until_sent("other").status == "sent"
    assert sorted(m["text"] for m in slack.posted_messages()) == ["me too", "patient"]
    assert slack.calls_to("conversations.history") == []


class LimitedInBody:
    """Slack answering every call with HTTP 200, `ratelimited` and a Retry-After of 7 s (the
    stand-in names no Retry-After in an HTTP 200 refusal)."""

    def send(
        self, origin: Origin, path: str, headers: Mapping[str, str], body: bytes, timeout: float
    ) -> Answer:
        """Refuse the call, whatever it is."""
        refusal = {"ok": False, "error": "ratelimited"}
        return Answer(200, {"retry-after": "7"}, json.dumps(refusal).encode())

    def close(self) -> None:
        """Nothing to close."""


def test_an_http_200_rate_limit_takes_its_retry_after_header(slack: SlackStandIn) -> None:
    api = WebApi(slack.base_url, transport=LimitedInBody())
    try:
        with pytest.raises(RateLimited) as limited:
            api.call("chat.postMessage", BOT_TOKEN, {"channel": "C0GENERAL", "text": "hi"})
    finally:
        api.close()
    assert (limited.value.method, limited.value.retry_after) == ("chat.postMessage", 7.0)


def test_slack_answers_are_sorted_by_whether_slack_finished_the_call(
    impatient: Runtime, slack: SlackStandIn
) -> None:
    post = {"channel": "C0GENERAL", "text": "hi"}
    answered = []
    for failure in ({"status": 503}, {"error": "fatal_error"}, {"error": "internal_error"}):
        slack.fail_next("chat.postMessage", **failure)  # type: ignore[arg-type]
        with pytest.raises(TransientError) as raised:
            impatient.slack.call("chat.postMessage", BOT_TOKEN, post)
        answered.append(raised.value.answered)
    slack.hang_next("chat.postMessage", seconds=HANG)
    with pytest.raises(TransientError) as timed_out:
        impatient.slack.call("chat.postMessage", BOT_TOKEN, post)
    assert answered == [True, True, True]
    assert (timed_out.value.reason, timed_out.value.answered) == ("timeout", False)


# -- an unsure post holds back no one but its followers -----------------------------------------


def test_posts_queued_after_an_unsure_one_are_not_held_back_by_its_lookup(
    manual: ManualTime, slack: SlackStandIn
) -> None:
    runtime = manual.runtime
    slack.fail_next("chat.postMessage", status=500, after_effect=True)
    slack.fail_next("conversations.history", status=429, retry_after=30)
    _queue(runtime, "first", "chat.postMessage", {"channel": "C0GENERAL", "text": "first"})
    manual.settle()
    looked_at = manual.advance()  # its lookup: Slack rate-limits conversations.history
    manual.settle()
    first = outbox_row(runtime, "first")
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.next_attempt_at - looked_at == timedelta(seconds=30)
    # A burst of three (the channel's whole allowance) queued while it waits goes out at once:
    # the lookup's rate limit holds back lookups, not posts, and the slot the lookup took was
    # given back when it posted nothing.
    for n in range(3):
        _queue(runtime, f"next:{n}", "chat.postMessage", {"channel": "C0GENERAL", "text": f"{n}"})
    manual.settle()
    assert manual.now() == looked_at
    assert [outbox_row(runtime, f"next:{n}").status for n in range(3)] == ["sent"] * 3
    row = manual.until_sent("first")
    first_post, *others = _in_channel(slack, "C0GENERAL")
    # Sent together, the three may land in any order.
    assert (first_post["text"], sorted(m["text"] for m in others)) == ("first", ["0", "1", "2"])
    assert row.result_ts == first_post["ts"]
    # Found, not posted: that lookup, too, leaves the channel its allowance.
    for n in range(3):
        _queue(runtime, f"later:{n}", "chat.postMessage", {"channel": "C0GENERAL", "text": "x"})
    manual.settle()
    assert [outbox_row(runtime, f"later:{n}").status for n in range(3)] == ["sent"] * 3
