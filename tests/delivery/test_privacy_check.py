"""The send-time privacy guard against the stand-in: several channels, withholding, old rows."""

from __future__ import annotations

import pytest

from app.delivery.privacy import IF_PRIVATE, PrivacyCheck, unless_private
from app.sandbox.slack_api import SlackStandIn
from app.slackapi.web_api import RateLimited, WebApi

TOKEN = "xoxb-test-token"


def _check(slack: SlackStandIn) -> PrivacyCheck:
    now = [0.0]
    return PrivacyCheck(WebApi(slack.base_url), monotonic=lambda: now[0])


def test_any_private_channel_among_several_sends_the_private_arguments(
    slack: SlackStandIn,
) -> None:
    slack.add_channel("C0TEAM", "team")
    args = unless_private({"channel": "C0D", "text": "quoted"}, ["C0GENERAL", "C0TEAM"], {"x": 1})
    assert _check(slack).resolve("T0001", TOKEN, args) == {"channel": "C0D", "text": "quoted"}
    slack.set_channel_private("C0TEAM", True)
    assert _check(slack).resolve("T0001", TOKEN, args) == {"x": 1}


def test_a_withheld_call_resolves_to_nothing_and_old_rows_still_resolve(
    slack: SlackStandIn,
) -> None:
    slack.set_channel_private("C0GENERAL", True)
    withheld = unless_private({"channel": "C0KUDOS"}, "C0GENERAL", None)
    assert _check(slack).resolve("T0001", TOKEN, withheld) is None
    # A row queued before guards could name several channels.
    old = {"channel": "C0KUDOS", IF_PRIVATE: {"channel": "C0GENERAL", "args": {"y": 2}}}
    assert _check(slack).resolve("T0001", TOKEN, old) == {"y": 2}


def test_a_rate_limit_part_way_through_a_long_list_hides_rather_than_loops(
    slack: SlackStandIn,
) -> None:
    slack.add_channel("C0TEAM", "team")
    slack.fail_next("conversations.info", status=429, retry_after=30)
    args = unless_private({"text": "quoted"}, ["C0GENERAL", "C0TEAM"], {"text": "plain"})
    check = _check(slack)
    # The first answer is a limit: the row waits and retries, as for a single channel.
    with pytest.raises(RateLimited):
        check.resolve("T0001", TOKEN, args)
    assert check.resolve("T0001", TOKEN, args) == {"text": "quoted"}
    fresh = _check(slack)
    fresh.resolve("T0001", TOKEN, unless_private({}, "C0GENERAL", {}))  # C0GENERAL is known
    slack.fail_next("conversations.info", status=429, retry_after=30)
    # The limit meets the second channel: rather than retry while older answers expire, hide.
    assert fresh.resolve("T0001", TOKEN, args) == {"text": "plain"}
