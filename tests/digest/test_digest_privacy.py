"""The digest never quotes a conversation that is private when it is posted, whatever the store
believed when it was composed: end to end, kudos by `/kudos` over signed HTTP, the digest queued
by its run and posted by the delivery worker to the stand-in."""

from __future__ import annotations

import pytest

from app.calendar import zone
from app.digest import runs
from app.digest.weeks import week_of
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import transaction
from app.store.models import Workspace
from tests.kudos.conftest import configure, reply_text


def _post_digest(bot: BotServer) -> None:
    with transaction(bot.runtime.sessions) as session:
        workspace = session.get_one(Workspace, "T0001")
        now = bot.runtime.clock.now()
        week = week_of(now, zone(workspace.timezone))
        outcome = runs.post(session, workspace, week, now, trigger="manual")
        # The week is not over: it is posted so far, and its scheduled digest still comes.
        assert outcome.status == "so-far"


@pytest.mark.parametrize("turned_private", [False, True])
def test_the_digest_quotes_only_conversations_still_public_when_it_is_sent(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, turned_private: bool
) -> None:
    def kudos_cmd(text: str, channel: str = "C0GENERAL") -> None:
        answer = driver.command(command="/kudos", text=text, user_id="U0ALICE", channel_id=channel)
        assert "on their way" in reply_text(answer)

    slack.add_channel("C0DIGEST", "digest")
    slack.add_channel("C0TEAM", "team")
    configure(bot, digest_channel_id="C0DIGEST")
    kudos_cmd("<@U0BOB> thanks for the secret plan", channel="C0TEAM")
    kudos_cmd("<@U0CAROL> thanks for the lunch talk")
    slack.wait_for("chat.postMessage", count=4)
    if turned_private:
        # An admin makes #team private; the bot hears nothing of it (no conversion event).
        slack.set_channel_private("C0TEAM", True)
    _post_digest(bot)
    [digest] = slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args["channel"] == "C0DIGEST"
    )
    text = str(digest.args["blocks"])
    assert "2 kudos" in text
    assert "was thanked by" in text
    if turned_private:
        # One of the quoted conversations is private now: the digest quotes none of them.
        assert "secret plan" not in text
        assert "lunch talk" not in text
    else:
        assert "secret plan" in text
        assert "lunch talk" in text
