"""Followers are woken by whatever settles the message they follow, never by polling for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from app.delivery import outbox
from app.delivery.followers import FALLBACK_SECONDS, Followed, follower_args
from app.delivery.outbox import Method
from app.permalinks import permalink
from app.privacy.service import cancel_messages_to
from app.sandbox.answers import Answer
from app.sandbox.slack_api import SlackStandIn
from app.store.db import transaction
from app.store.models import OutboxMessage
from tests.delivery.conftest import TEAM, ManualTime, for_the_claim, outbox_row, queue_entries

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _before(status: str, next_attempt_at: datetime = NOW) -> Followed:
    return Followed(status, next_attempt_at, None, None, earlier_unsent=False, domain=None)


def test_a_follower_of_an_unsent_message_waits_for_its_wake_up_not_a_poll() -> None:
    fallback = NOW + timedelta(seconds=FALLBACK_SECONDS)
    assert follower_args({}, None, _before("sending"), NOW) == fallback
    assert follower_args({}, None, _before("pending"), NOW) == fallback
    # A message put off for longer is not looked at before its own next attempt.
    later = NOW + timedelta(hours=1)
    assert follower_args({}, None, _before("pending", later), NOW) == later
    assert FALLBACK_SECONDS > 1  # what it replaced: every waiting follower read each second


def _queue_with_follower(
    manual: ManualTime, key: str, method: Method, args: dict[str, str], *, waits: bool = False
) -> None:
    """Queue a message keyed `key` and a post that follows it (or says it did not go); with
    `waits`, the message is held an hour, as by a backoff."""
    now = manual.now()
    with transaction(manual.runtime.sessions) as session:
        for_the_claim(session)
        outbox.queue(session, team_id=TEAM, method=method, args=args, dedupe_key=key, now=now)
        outbox.queue(
            session,
            team_id=TEAM,
            method="chat.postMessage",
            args={"channel": "C0GENERAL", "text": f"{key} went: {outbox.AFTER_PERMALINK}"},
            dedupe_key=f"{key}:after",
            after_key=key,
            after_failed_args={"channel": "C0GENERAL", "text": f"{key} did not go"},
            now=now,
        )
        if waits:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.dedupe_key == key)
                .values(next_attempt_at=now + timedelta(hours=1))
            )


def test_a_follower_of_a_message_that_failed_for_good_goes_at_once(
    manual: ManualTime, slack: SlackStandIn
) -> None:
    slack.fail_next("chat.postMessage", times=1, error="channel_not_found", status=200)
    start = manual.now()
    _queue_with_follower(manual, "post", "chat.postMessage", {"channel": "C0GENERAL", "text": "hi"})
    manual.runtime.doorbell.set()
    # The clock never moves: the follower goes because the failure woke it, not a poll.
    manual.settle()
    assert outbox_row(manual.runtime, "post").status == "failed"
    follower = outbox_row(manual.runtime, "post:after")
    assert (follower.status, follower.finished_at) == ("sent", start)
    assert [m["text"] for m in slack.posted_messages("C0GENERAL")] == ["post did not go"]


def test_a_follower_of_a_cancelled_message_goes_at_once(
    manual: ManualTime, slack: SlackStandIn
) -> None:
    start = manual.now()
    # The note waits (a backoff, say), so its follower is put off until the note's attempt.
    _queue_with_follower(manual, "note", "dm", {"user": "U0LEAVER", "text": "a note"}, waits=True)
    manual.runtime.doorbell.set()
    manual.settle()
    assert outbox_row(manual.runtime, "note:after").status == "pending"
    with transaction(manual.runtime.sessions) as session:
        assert cancel_messages_to(session, TEAM, "U0LEAVER", start) == 1
    manual.runtime.doorbell.set()
    manual.settle()
    follower = outbox_row(manual.runtime, "note:after")
    assert (follower.status, follower.finished_at) == ("sent", start)
    assert [m["text"] for m in slack.posted_messages("C0GENERAL")] == ["note did not go"]


def test_a_follower_claimed_with_its_post_goes_right_behind_it_without_a_round_between(
    manual: ManualTime, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _calls_seen(manual, slack, monkeypatch, "post:after")
    _queue_with_follower(manual, "post", "chat.postMessage", {"channel": "C0GENERAL", "text": "hi"})
    manual.runtime.doorbell.set()
    manual.settle()
    (post,) = slack.posted_messages("C0GENERAL")[:1]
    link = permalink(None, "C0GENERAL", post["ts"])
    # When the post reached Slack its follower was already claimed: the round that claimed the
    # post claimed it too, and the same sender called it next, quoting the post. (Whether a
    # round recorded the post in between is the loop's timing, not the chain's.)
    assert seen == [
        ("chat.postMessage", "hi", ("sending",)),
        ("chat.postMessage", f"post went: {link}", ("sending",)),
    ]
    assert [outbox_row(manual.runtime, k).status for k in ("post", "post:after")] == ["sent"] * 2


def _queue_post_and_followers(
    manual: ManualTime, *followers: tuple[str, Method, dict[str, str]]
) -> None:
    """Queue a post keyed "post" and, in order, `followers` of it (key, method, arguments)."""
    queue_entries(
        manual.runtime,
        {
            "method": "chat.postMessage",
            "args": {"channel": "C0GENERAL", "text": "post"},
            "dedupe_key": "post",
        },
        *(
            {"method": method, "args": args, "dedupe_key": key, "after_key": "post"}
            for key, method, args in followers
        ),
        claim=True,
    )


def _calls_seen(
    manual: ManualTime, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch, *keys: str
) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each call the stand-in gets from now on: its method, its text, and what the store said
    at that moment of the outbox rows `keys`."""
    seen: list[tuple[str, str, tuple[str, ...]]] = []
    answer = slack.handle_api

    def observed(method: str, args: dict[str, Any], token: str | None) -> Answer:
        statuses = tuple(outbox_row(manual.runtime, key).status for key in keys)
        seen.append((method, str(args.get("text")), statuses))
        return answer(method, args, token)

    monkeypatch.setattr(slack, "handle_api", observed)
    return seen


def test_every_follower_claimed_with_its_post_goes_behind_it_in_order_with_the_posts_ts(
    manual: ManualTime, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kudos to two people: its post, then a note to each quoting it.
    seen = _calls_seen(manual, slack, monkeypatch, "note:1", "note:2")
    _queue_post_and_followers(
        manual,
        *(
            (
                f"note:{n}",
                "chat.postMessage",
                {"channel": "C0GENERAL", "text": f"{n} {outbox.AFTER_TS}"},
            )
            for n in (1, 2)
        ),
    )
    manual.runtime.doorbell.set()
    manual.settle()
    post, first, second = slack.posted_messages("C0GENERAL")
    # Both notes were claimed with the post (already "sending" when it reached Slack) and went
    # right behind it in their order, each quoting the post (not the note before it).
    assert seen[0] == ("chat.postMessage", "post", ("sending", "sending"))
    assert [(method, text) for method, text, _ in seen[1:]] == [
        ("chat.postMessage", f"1 {post['ts']}"),
        ("chat.postMessage", f"2 {post['ts']}"),
    ]
    assert (first["text"], second["text"]) == (f"1 {post['ts']}", f"2 {post['ts']}")
    assert [outbox_row(manual.runtime, k).status for k in ("post", "note:1", "note:2")] == [
        "sent"
    ] * 3


def test_a_follower_behind_one_that_did_not_go_waits_for_it_to_go_first(
    manual: ManualTime, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _calls_seen(manual, slack, monkeypatch)
    _queue_post_and_followers(
        manual,
        (
            "edit",
            "chat.update",
            {"channel": outbox.AFTER_CHANNEL, "ts": outbox.AFTER_TS, "text": "edit"},
        ),
        ("note", "chat.postMessage", {"channel": "C0GENERAL", "text": f"note {outbox.AFTER_TS}"}),
    )
    # The edit is refused for now: the note queued after it must not overtake it.
    slack.fail_next("chat.update", status=429, retry_after=1)
    manual.runtime.doorbell.set()
    manual.settle()
    assert [(method, text) for method, text, _ in seen] == [
        ("chat.postMessage", "post"),
        ("chat.update", "edit"),
    ]
    assert outbox_row(manual.runtime, "note").attempts == 0
    manual.advance()
    manual.settle()
    post = slack.posted_messages("C0GENERAL")[0]
    assert [(method, text) for method, text, _ in seen[2:]] == [
        ("chat.update", "edit"),
        ("chat.postMessage", f"note {post['ts']}"),
    ]
    assert [outbox_row(manual.runtime, k).status for k in ("post", "edit", "note")] == ["sent"] * 3
