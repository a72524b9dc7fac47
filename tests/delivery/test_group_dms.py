"""`group_dm` outbox rows: one message to several people at once, in their group DM with the bot,
delivered exactly once (an unsure attempt is settled by opening the same group DM and looking in
its history), failed for good with a word to the waiting person when Slack cannot open it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app.delivery import outbox
from app.delivery.sender import OUTBOX_EVENT
from app.runtime import Runtime
from app.sandbox.scopes import DEFAULT_SCOPES
from app.sandbox.slack_api import SlackStandIn
from app.store.db import transaction
from app.store.models import Kudos
from tests.conftest import BOT_TOKEN
from tests.delivery.conftest import FAST, TEAM, ManualTime, WorkerFactory, outbox_row

PEOPLE = ["U0ALICE", "U0BOB", "U0CAROL"]
# Slack answered the unsure attempt, so the worker looks again within moments.
QUICK = replace(FAST, answered_wait_seconds=0.1)


def _queue(
    runtime: Runtime,
    key: str,
    method: outbox.Method = "group_dm",
    args: dict[str, Any] | None = None,
    **extra: Any,
) -> None:
    with transaction(runtime.sessions) as session:
        outbox.queue(
            session,
            team_id=TEAM,
            method=method,
            args=args if args is not None else {"users": PEOPLE, "text": "meet each other"},
            dedupe_key=key,
            now=runtime.clock.now(),
            **extra,
        )


def _group(slack: SlackStandIn, people: list[str] = PEOPLE) -> str:
    group = slack.group_dm_of(people)
    assert group is not None, f"no group DM of {people}"
    return group.id


def test_a_group_dm_is_posted_once_in_the_group_dm_of_its_people(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _queue(runtime, "intro:1")
    make_worker().drain()
    group = _group(slack)
    (message,) = slack.posted_messages(group)
    assert message["text"] == "meet each other"
    assert message["metadata"] == {"event_type": OUTBOX_EVENT, "event_payload": {"key": "intro:1"}}
    # The people in the order queued; the bot is implied, never listed.
    assert [c.args["users"] for c in slack.calls_to("conversations.open")] == [
        "U0ALICE,U0BOB,U0CAROL"
    ]
    assert slack.channels[group].members == set(PEOPLE)
    row = outbox_row(runtime, "intro:1")
    assert (row.status, row.attempts) == ("sent", 1)
    assert (row.result_channel, row.result_ts) == (group, message["ts"])


def test_the_sent_group_dm_is_linked_to_its_record(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    with transaction(runtime.sessions) as session:
        kudos = Kudos(
            team_id=TEAM,
            giver_id="U0ALICE",
            channel_id="C0GENERAL",
            message="thanks",
            created_at=runtime.clock.now(),
        )
        session.add(kudos)
        session.flush()
        kudos_id = kudos.id
    _queue(runtime, "linked", link=outbox.Link("kudos", kudos_id))
    make_worker().drain()
    (message,) = slack.posted_messages(_group(slack))
    with runtime.sessions() as session:
        stored = session.get_one(Kudos, kudos_id)
        assert (stored.post_channel_id, stored.post_ts) == (_group(slack), message["ts"])


def test_a_group_dm_slack_posted_despite_a_fatal_error_is_not_posted_again(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.fail_next("chat.postMessage", error="fatal_error", after_effect=True)
    _queue(runtime, "intro:2")
    make_worker(QUICK).drain(timeout=20)
    group = _group(slack)
    # The post Slack made before answering fatal_error is the only one there.
    (message,) = slack.channels[group].messages.values()
    assert len(slack.calls_to("chat.postMessage")) == 1
    # The second attempt opened the same group DM and found the post in its history.
    opened = slack.calls_to("conversations.open")
    assert [c.response["channel"]["id"] for c in opened] == [group, group]
    (looked,) = slack.calls_to("conversations.history")
    assert looked.args["channel"] == group
    row = outbox_row(runtime, "intro:2")
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert (row.result_channel, row.result_ts) == (group, message["ts"])


def test_a_server_error_before_posting_posts_once_after_looking(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.fail_next("chat.postMessage", status=500)
    _queue(runtime, "intro:3")
    make_worker(QUICK).drain(timeout=20)
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 200]
    assert len(slack.calls_to("conversations.history")) == 1
    assert len(slack.posted_messages(_group(slack))) == 1
    assert outbox_row(runtime, "intro:3").status == "sent"


def test_a_rate_limited_open_waits_and_then_posts_once(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.fail_next("conversations.open", status=429, retry_after=1)
    _queue(runtime, "intro:4")
    make_worker().drain(timeout=20)
    assert [c.status for c in slack.calls_to("conversations.open")] == [429, 200]
    assert len(slack.posted_messages(_group(slack))) == 1
    row = outbox_row(runtime, "intro:4")
    # Slack asked us to wait: that is not a failed try.
    assert (row.status, row.attempts) == ("sent", 1)


def test_a_rate_limited_open_holds_back_group_dms_only(
    manual: ManualTime, slack: SlackStandIn
) -> None:
    slack.fail_next("conversations.open", status=429, retry_after=2)
    _queue(manual.runtime, "intro:a")
    manual.settle()
    limited = manual.now()
    assert outbox_row(manual.runtime, "intro:a").status == "pending"
    # Queued while Slack's Retry-After runs: another group DM waits for it, a post does not.
    _queue(manual.runtime, "intro:b", args={"users": ["U0BOB", "U0CAROL"], "text": "meet"})
    _queue(manual.runtime, "post", "chat.postMessage", {"channel": "C0GENERAL", "text": "hi"})
    manual.settle()
    assert outbox_row(manual.runtime, "post").status == "sent"
    held = outbox_row(manual.runtime, "intro:b")
    assert held.status == "pending"
    assert (held.next_attempt_at - limited).total_seconds() >= 1.9
    for key in ("intro:a", "intro:b"):
        row = manual.until_sent(key)
        assert row.finished_at is not None
        assert (row.finished_at - limited).total_seconds() >= 1.9
    assert [c.status for c in slack.calls_to("conversations.open")] == [429, 200, 200]


def test_a_deactivated_person_fails_it_for_good_and_the_connector_is_told(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _queue(
        runtime,
        "intro:5",
        args={"users": ["U0ALICE", "U0BOB", "U0DAVE"], "text": "meet each other"},
        notice=outbox.Notice(user_id="U0ALICE", what="your introduction of bob and dave"),
    )
    make_worker().drain()
    row = outbox_row(runtime, "intro:5")
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "user_disabled")
    # Nothing was posted but the word to the connector.
    assert [c.args["channel"] for c in slack.calls_to("chat.postMessage")] == ["U0ALICE"]
    assert slack.group_dm_of(["U0ALICE", "U0BOB", "U0DAVE"]) is None
    (told,) = slack.posted_messages("D0ALICE")
    assert "your introduction of bob and dave" in told["text"]
    assert "deactivated" in told["text"]
    assert outbox_row(runtime, "notice:intro:5").status == "sent"


def test_an_install_without_mpim_write_fails_it_for_good_and_says_so(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.set_scopes(BOT_TOKEN, tuple(s for s in DEFAULT_SCOPES if s != "mpim:write"))
    _queue(
        runtime,
        "intro:6",
        notice=outbox.Notice(user_id="U0ALICE", what="your introduction of bob and carol"),
    )
    make_worker().drain()
    row = outbox_row(runtime, "intro:6")
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "missing_scope")
    (refused,) = slack.calls_to("conversations.open")
    assert refused.response["needed"] == "mpim:write"
    assert slack.group_dm_of(PEOPLE) is None
    (told,) = slack.posted_messages("D0ALICE")
    assert "your introduction of bob and carol" in told["text"]
    assert "reinstall" in told["text"]


def test_a_follower_edits_the_group_dm_message(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _queue(runtime, "intro:7")
    _queue(
        runtime,
        "intro:7:edit",
        method="chat.update",
        args={"channel": outbox.AFTER_CHANNEL, "ts": outbox.AFTER_TS, "text": "you have met"},
        after_key="intro:7",
    )
    make_worker().drain()
    group = _group(slack)
    (message,) = slack.posted_messages(group)
    (update,) = slack.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"], update.ok) == (group, message["ts"], True)
    assert slack.channels[group].messages[message["ts"]]["text"] == "you have met"
    assert outbox_row(runtime, "intro:7:edit").status == "sent"


def test_one_pace_key_per_group_whatever_the_order() -> None:
    first = outbox.pace_key("group_dm", {"users": ["U0BOB", "U0ALICE", "U0CAROL"]})
    second = outbox.pace_key("group_dm", {"users": ["U0CAROL", "U0BOB", "U0ALICE"]})
    assert first == second == "mpim:U0ALICE,U0BOB,U0CAROL"
    assert outbox.pace_key("group_dm", {"users": ["U0ALICE", "U0BOB"]}) != first


@pytest.mark.parametrize(
    "users",
    [
        None,
        "U0ALICE,U0BOB",
        ["U0ALICE"],
        ["U0ALICE", "U0ALICE"],
        ["U0ALICE", ""],
        [f"U0P{n}" for n in range(9)],
    ],
)
def test_a_group_dm_names_two_to_eight_distinct_people(runtime: Runtime, users: object) -> None:
    args = {"text": "hi"} if users is None else {"users": users, "text": "hi"}
    with pytest.raises(ValueError, match="group_dm"):
        outbox.entry(
            team_id=TEAM,
            method="group_dm",
            args=args,
            dedupe_key="bad",
            now=runtime.clock.now(),
        )
