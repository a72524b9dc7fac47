"""The stand-in checks a view's buttons as Slack's schema does: text, action id, value and url
lengths, and an absolute url (a relative link, say from a missing PUBLIC_URL, is refused)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.sandbox.slack_api import SlackStandIn


def _home(button: dict[str, Any]) -> dict[str, Any]:
    accessory = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Go"}}
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    return {"type": "home", "blocks": [{**section, "accessory": {**accessory, **button}}]}


def test_a_button_within_slacks_limits_is_accepted(client: WebClient) -> None:
    view = _home({"url": "https://example.com/" + "a" * 2900, "value": "v" * 2000})
    assert client.views_publish(user_id="U0ALICE", view=view)["ok"]


@pytest.mark.parametrize(
    "change",
    [
        {"url": "/insights/signin?token=x"},
        {"url": "https://example.com/" + "a" * 3000},
        {"value": "v" * 2001},
        {"action_id": "a" * 256},
        {"text": {"type": "plain_text", "text": "t" * 76}},
        {"text": {"type": "plain_text", "text": ""}},
    ],
)
def test_a_button_beyond_them_is_refused(
    client: WebClient, slack: SlackStandIn, change: dict[str, Any]
) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.views_publish(user_id="U0ALICE", view=_home(change))
    assert refused.value.response["error"] == "invalid_arguments"
