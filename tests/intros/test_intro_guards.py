"""Every guard on `/intro`, answered ephemerally with how to fix it; nothing stored when refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import transaction
from app.store.models import Introduction
from tests.intros.conftest import Intro, stored_intros
from tests.kudos.conftest import configure, reply_text

REASON = "you both work on search ranking"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"<@U0ALICE> <@U0BOB> {REASON}", "can't introduce yourself"),
        (f"<@U0BOB> <@U0HELPER> {REASON}", "<@U0HELPER> is a bot"),
        (f"<@U0BOB> <@U0DAVE> {REASON}", "<@U0DAVE> is no longer active"),
        (f"<@U0BOB> <@U0BOB|bob> {REASON}", "same person twice"),
        (f"<@U0BOB> {REASON}", "Name the two people"),
        (f"<@U0BOB> <@U0CAROL> <@U0ERIN> {REASON}", "Name the two people"),
        ("<@U0BOB> <@U0CAROL>", "Say why they should meet"),
        ("<@U0BOB> <@U0CAROL> " + "x" * 1001, "under 1000 characters (it's 1001)"),
        (f"@bob @nobody {REASON}", "anyone called @nobody"),
        (f"<@U0BOB> <@U0NOSUCH> {REASON}", "can't find <@U0NOSUCH>"),
    ],
)
def test_a_refused_introduction_says_how_to_fix_it_and_stores_nothing(
    bot: BotServer, slack: SlackStandIn, intro_cmd: Intro, text: str, expected: str
) -> None:
    slack.add_user("U0ERIN", "erin")
    answer = reply_text(intro_cmd(text))
    assert expected in answer
    assert stored_intros(bot) == []
    assert not [c for c in slack.calls if c.method == "chat.postMessage"]


def test_the_same_two_people_are_introduced_once_in_30_days_either_way_round(
    bot: BotServer, slack: SlackStandIn, intro_cmd: Intro
) -> None:
    assert "I've asked" in reply_text(intro_cmd(f"<@U0BOB> <@U0CAROL> {REASON}"))
    assert "already introduced" in reply_text(intro_cmd(f"<@U0CAROL> <@U0BOB> {REASON}"))
    # Whoever asks: the two people are the same.
    slack.add_user("U0ERIN", "erin")
    again = reply_text(intro_cmd(f"<@U0BOB> <@U0CAROL> {REASON}", user="U0ERIN"))
    assert "already introduced" in again
    # Thirty-one days on, they may be introduced again.
    with transaction(bot.runtime.sessions) as session:
        intro = session.get_one(Introduction, stored_intros(bot)[0].id)
        intro.created_at -= timedelta(days=31)
    assert "I've asked" in reply_text(intro_cmd(f"<@U0CAROL> <@U0BOB> {REASON}"))


def test_a_connector_makes_at_most_the_daily_limit_of_introductions(
    bot: BotServer, slack: SlackStandIn, intro_cmd: Intro
) -> None:
    configure(bot, intro_daily_limit=2)
    for user in ("U0ERIN", "U0FRANK", "U0GRACE"):
        slack.add_user(user, user[2:].lower())
    assert "I've asked" in reply_text(intro_cmd(f"<@U0BOB> <@U0CAROL> {REASON}"))
    assert "I've asked" in reply_text(intro_cmd(f"<@U0BOB> <@U0ERIN> {REASON}"))
    answer = reply_text(intro_cmd(f"<@U0FRANK> <@U0GRACE> {REASON}"))
    assert "made 2 introductions today, the daily limit" in answer
    assert len(stored_intros(bot)) == 2


def test_the_form_opens_without_text_and_its_submission_introduces(
    bot: BotServer, slack: SlackStandIn, intro_cmd: Intro, driver: SlackDriver
) -> None:
    intro_cmd("")
    [opened] = slack.calls_to("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == "intro.make"

    def submit(first: str | None, second: str | None, reason: str) -> dict:
        values = {
            "first": {"user": payloads.users_select_value(first)},
            "second": {"user": payloads.users_select_value(second)},
            "reason": {"text": payloads.plain_text_value(reason)},
        }
        response = driver.interactive(
            payloads.view_submission(
                user_id="U0ALICE",
                callback_id=view["callback_id"],
                values=values,
                private_metadata=view["private_metadata"],
            )
        )
        assert response.status_code == 200, response.text
        return response.json() if response.content else {}

    refused = submit("U0BOB", "U0CAROL", " ")
    assert refused["response_action"] == "errors"
    assert "Say why they should meet" in refused["errors"]["reason"]
    refused = submit("U0BOB", "U0HELPER", REASON)
    assert "is a bot" in refused["errors"]["first"]
    assert stored_intros(bot) == []
    assert submit("U0BOB", "U0CAROL", REASON) == {}
    [intro] = stored_intros(bot)
    assert (intro.source, intro.channel_id) == ("form", "C0GENERAL")
    confirmed = slack.wait_for("response_url")[-1]
    assert "I've asked <@U0BOB> and <@U0CAROL>" in json.dumps(confirmed.args)


def test_an_introduction_made_in_the_past_day_counts_in_the_connectors_own_day(
    bot: BotServer, slack: SlackStandIn, intro_cmd: Intro
) -> None:
    # Alice lives in Berlin: yesterday's introductions there do not count against today.
    configure(bot, intro_daily_limit=1)
    assert "I've asked" in reply_text(intro_cmd(f"<@U0BOB> <@U0CAROL> {REASON}"))
    with transaction(bot.runtime.sessions) as session:
        intro = session.get_one(Introduction, stored_intros(bot)[0].id)
        intro.created_at = datetime.now(UTC) - timedelta(days=1, hours=1)
    slack.add_user("U0ERIN", "erin")
    assert "I've asked" in reply_text(intro_cmd(f"<@U0BOB> <@U0ERIN> {REASON}"))
