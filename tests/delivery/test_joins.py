"""Joining a channel before posting: once per channel however many posts go at once, again after
the memory runs out, never for a private channel, and refused for an archived one."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.delivery.joins import REMEMBER_SECONDS, ChannelJoins
from app.sandbox.slack_api import SlackStandIn
from app.slackapi.web_api import WebApi, WebApiError
from tests.clocks import HandClock
from tests.conftest import BOT_TOKEN


@pytest.fixture
def api(slack: SlackStandIn) -> Iterator[WebApi]:
    client = WebApi(slack.base_url)
    yield client
    client.close()


def _joins(slack: SlackStandIn) -> list[str]:
    return [str(c.args["channel"]) for c in slack.calls_to("conversations.join")]


def test_posts_sent_at_once_to_a_new_channel_join_it_once(slack: SlackStandIn, api: WebApi) -> None:
    joins = ChannelJoins(api)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: joins.ensure("T0001", BOT_TOKEN, "C0GENERAL"), range(16)))
    assert _joins(slack) == ["C0GENERAL"]
    assert slack.channels["C0GENERAL"].bot_is_member


def test_a_join_is_remembered_for_an_hour_then_made_again(slack: SlackStandIn, api: WebApi) -> None:
    ticks = HandClock()
    joins = ChannelJoins(api, monotonic=ticks)
    joins.ensure("T0001", BOT_TOKEN, "C0GENERAL")
    ticks.now += REMEMBER_SECONDS - 1
    joins.ensure("T0001", BOT_TOKEN, "C0GENERAL")
    assert _joins(slack) == ["C0GENERAL"]
    # Someone may have removed the bot meanwhile: after the hour it joins again.
    ticks.now += 2
    joins.ensure("T0001", BOT_TOKEN, "C0GENERAL")
    assert _joins(slack) == ["C0GENERAL", "C0GENERAL"]


def test_a_private_channel_passes_unjoined_and_an_archived_one_is_refused(
    slack: SlackStandIn, api: WebApi
) -> None:
    slack.add_channel("G0TEAM", "team", is_private=True)
    slack.add_channel("C0OLD", "old", is_archived=True)
    joins = ChannelJoins(api)
    joins.ensure("T0001", BOT_TOKEN, "G0TEAM")
    assert not slack.channels["G0TEAM"].bot_is_member
    with pytest.raises(WebApiError) as refused:
        joins.ensure("T0001", BOT_TOKEN, "C0OLD")
    assert refused.value.error == "is_archived"
