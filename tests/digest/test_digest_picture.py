"""The weekly digest carries the week's help-network picture, end to end: kudos by `/kudos` over
signed HTTP, the scheduled run on Monday at 09:00, the delivery worker posting the digest and then
uploading the picture (files.uploadV2's three steps) to the stand-in; the setting turns it off;
an upload that fails for good leaves the digest post alone; an ambiguous share is shared once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.clock import OffsetClock
from app.delivery.config import WorkerConfig
from app.delivery.pruning import prune
from app.digest import runs
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import transaction
from app.store.models import Member, OutboxFile, OutboxMessage
from app.store.statuses import OutboxStatus
from tests.conftest import SIGNING_SECRET, BotFactory, bot_settings
from tests.kudos.conftest import configure, reply_text
from tests.waiting import eventually, jump, outbox_drained

# A Wednesday of week 2026-W48 (the workspace's zone is UTC), and its digest's time.
WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
DIGEST_TIME = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
DIGEST = "C0DIGEST01"
KEY = "digest:2026-W48"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Failures come back fast, and a row fails for good after three attempts.
FAST = WorkerConfig(
    max_attempts=3,
    max_backoff_seconds=0.2,
    answered_wait_seconds=0.1,
    unsure_wait_seconds=0.3,
    poll_seconds=0.05,
)


@dataclass
class Week:
    """A bot living in week 2026-W48, where people helped each other."""

    bot: BotServer
    slack: SlackStandIn
    clock: OffsetClock

    def run_digest(self) -> None:
        """Move to Monday 09:05 and run the scheduled digests, as the scheduler would."""
        jump(self.bot, self.clock, DIGEST_TIME - self.clock.now())
        outcomes = runs.run_due(self.bot.runtime.sessions, self.clock.now())
        assert [(o.week, o.status) for o in outcomes] == [("2026-W48", "queued")]

    def digest_posts(self) -> list[dict[str, Any]]:
        """The digest posts in the digest channel's history."""
        return [
            m
            for m in self.slack.channels[DIGEST].messages.values()
            if "Who helped whom" in str(m.get("blocks"))
        ]

    def file_shares(self) -> list[dict[str, Any]]:
        """The messages sharing a file in the digest channel's history."""
        return [m for m in self.slack.channels[DIGEST].messages.values() if m.get("files")]

    def row(self, key: str) -> OutboxMessage:
        with self.bot.runtime.sessions() as session:
            found = session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key == key)
            ).one()
            session.expunge(found)
            return found


@pytest.fixture
def week(database_url: str, slack: SlackStandIn, serve_bot: BotFactory) -> Week:
    clock = OffsetClock(WEDNESDAY)
    bot = serve_bot(bot_settings(database_url, slack), clock=clock, worker_config=FAST)
    driver = SlackDriver(bot.url, SIGNING_SECRET, slack=slack)
    slack.add_channel(DIGEST, "digest")
    configure(bot, digest_channel_id=DIGEST)
    for giver, text in [
        ("U0ALICE", "<@U0BOB> thanks for the release checklist"),
        ("U0BOB", "<@U0CAROL> <@U0ALICE> thanks for pairing on the outage"),
        ("U0CAROL", "<@U0BOB> thanks for the review"),
    ]:
        answer = driver.command(command="/kudos", text=text, user_id=giver, channel_id="C0GENERAL")
        assert "on their way" in reply_text(answer)
    outbox_drained(bot)
    return Week(bot, slack, clock)


def test_the_digest_is_followed_by_the_weeks_picture_in_the_digest_channel(week: Week) -> None:
    # Carol opted out of rankings: the picture's description, which ranks, leaves her out.
    with transaction(week.bot.runtime.sessions) as session:
        session.get_one(Member, ("T0001", "U0CAROL")).leaderboard_opt_out = True
    week.run_digest()
    [share] = eventually(week.file_shares, what="the picture shared in the digest channel")
    outbox_drained(week.bot)
    [digest] = week.digest_posts()
    assert float(share["ts"]) > float(digest["ts"])
    [shared] = week.slack.shared_files(DIGEST)
    assert shared.filename == "help-network-2026-W48.png"
    assert shared.title == "Who helped whom, week 2026-W48"
    assert shared.content is not None
    assert shared.content.startswith(PNG_SIGNATURE)
    assert shared.length == len(shared.content)
    assert shared.alt_txt is not None
    assert "a network of 3 people and 4 links of help" in shared.alt_txt
    assert shared.alt_txt.endswith("Helped the most people: bob (2), alice (1).")
    assert [f["id"] for f in share["files"]] == [shared.id]
    # The bot joined the digest channel to share there (Slack shares files only with members).
    assert week.slack.channels[DIGEST].bot_is_member
    # What Slack records, step by step: a ticket, the bytes, the share.
    [ticket] = week.slack.calls_to("files.getUploadURLExternal")
    assert ticket.args["length"] == str(len(shared.content))
    [complete] = week.slack.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == DIGEST
    assert complete.args["files"] == [{"id": shared.id, "title": shared.title}]
    assert week.row(KEY + ":picture:share").status == OutboxStatus.SENT
    # The upload is done: its bytes go at the next pruning, the rows stay for their days.
    with transaction(week.bot.runtime.sessions) as session:
        assert session.scalars(select(OutboxFile.dedupe_key)).all() == [KEY + ":picture"]
        prune(session, week.clock.now(), FAST)
        assert session.scalars(select(OutboxFile.dedupe_key)).all() == []


def test_a_workspace_that_turned_the_picture_off_gets_the_digest_alone(week: Week) -> None:
    configure(week.bot, digest_picture=False)
    week.run_digest()
    eventually(week.digest_posts, what="the digest post")
    outbox_drained(week.bot)
    assert week.file_shares() == []
    assert week.slack.calls_to("files.getUploadURLExternal") == []
    with week.bot.runtime.sessions() as session:
        keys = session.scalars(select(OutboxMessage.dedupe_key)).all()
    assert not [key for key in keys if "picture" in key]


UPLOAD_ROW = (KEY + ":picture", "file_upload")
SHARE_ROW = (KEY + ":picture:share", "files.completeUploadExternal")


@pytest.mark.parametrize(
    ("step", "fault", "failed"),
    [
        # The workspace does not allow uploads: Slack refuses the ticket, for good.
        ("files.getUploadURLExternal", {"error": "file_uploads_disabled"}, UPLOAD_ROW),
        # The upload service keeps failing: three attempts, each with a new ticket.
        ("upload_url", {"status": 500, "times": 10}, UPLOAD_ROW),
        # Slack keeps failing the share: looked for before each new try, never found.
        ("files.completeUploadExternal", {"status": 500, "times": 10}, SHARE_ROW),
    ],
)
def test_an_upload_step_that_fails_for_good_leaves_the_digest_post_alone(
    week: Week,
    caplog: pytest.LogCaptureFixture,
    step: str,
    fault: dict[str, Any],
    failed: tuple[str, str],
) -> None:
    failed_row, method = failed
    week.slack.fail_next(step, **fault)
    caplog.set_level(logging.WARNING, logger="app.delivery")
    week.run_digest()
    eventually(lambda: week.row(failed_row).status, lambda s: s == OutboxStatus.FAILED)
    outbox_drained(week.bot)
    assert len(week.digest_posts()) == 1
    assert week.row(KEY).status == OutboxStatus.SENT
    assert week.file_shares() == []
    assert week.slack.shared_files() == []
    logged = [r.getMessage() for r in caplog.records if "failed for good" in r.getMessage()]
    assert any(f"({method})" in line for line in logged), logged


def test_a_share_slack_made_but_answered_with_a_500_is_found_and_not_made_again(
    week: Week,
) -> None:
    week.slack.fail_next("files.completeUploadExternal", status=500, after_effect=True)
    week.run_digest()
    eventually(lambda: week.row(KEY + ":picture:share").status, lambda s: s == OutboxStatus.SENT)
    outbox_drained(week.bot)
    [share] = week.file_shares()
    assert len(week.slack.shared_files(DIGEST)) == 1
    # One share, then a look in the channel's history instead of a second one.
    assert len(week.slack.calls_to("files.completeUploadExternal")) == 1
    assert week.row(KEY + ":picture:share").result_ts == share["ts"]
    assert len(week.digest_posts()) == 1
