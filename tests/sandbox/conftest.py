"""A slack-sdk client pointed at the stand-in, as the bot's own Bolt client would call it."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from app.sandbox.slack_api import SlackStandIn
from tests.conftest import BOT_TOKEN


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    """slack-sdk's WebClient with the stand-in's bot token."""
    return WebClient(base_url=slack.base_url, token=BOT_TOKEN)
