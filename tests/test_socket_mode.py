"""Socket Mode specifics: the connection, Slack asking it to go, acks in time, health on $PORT,
and an app token Slack refuses. (Every end-to-end test also runs over Socket Mode.)"""

from __future__ import annotations

import httpx
import pytest

from app.sandbox import payloads
from app.sandbox.driver import SocketModeDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer, StartupError
from tests.conftest import APP_TOKEN, bot_settings
from tests.kudos.conftest import reply_text
from tests.waiting import eventually


@pytest.fixture
def slack_mode() -> str:
    """These tests are about the socket itself."""
    return "socket"


def test_commands_arrive_over_the_socket_and_are_acked_in_time(
    bot: BotServer, slack: SlackStandIn, driver: SocketModeDriver
) -> None:
    assert slack.socket_mode is not None
    answer = driver.command(
        command="/kudos",
        text="<@U0BOB|bob> thanks for the review",
        user_id="U0ALICE",
        channel_id="C0GENERAL",
    )
    assert "Kudos to <@U0BOB>" in reply_text(answer)
    event = payloads.event_callback(payloads.app_home_opened_event(user="U0ALICE"))
    assert driver.event(event).status_code == 200
    acked = [e for e in slack.socket_mode.envelopes if e.ack is not None]
    assert [e.type for e in acked] == ["slash_commands", "events_api"]
    assert all(e.ack_seconds is not None and e.ack_seconds < 3 for e in acked)
    # Slack's requests no longer come over HTTP; health and metrics still do.
    assert httpx.post(f"{bot.url}/slack/events", content=b"{}").status_code == 404
    assert httpx.get(f"{bot.url}/healthz").status_code == 200


def test_the_bot_reconnects_when_slack_asks_it_to_go(
    bot: BotServer, slack: SlackStandIn, driver: SocketModeDriver
) -> None:
    assert slack.socket_mode is not None
    opened = slack.socket_mode.connections_opened
    slack.socket_mode.ask_to_disconnect()
    slack.wait_for(lambda c: c.method == "apps.connections.open", count=2, timeout=20)
    socket_mode = slack.socket_mode
    eventually(
        lambda: socket_mode.connections_opened,
        lambda count: count != opened,
        what="a new Socket Mode connection",
    )
    assert slack.socket_mode.connections_opened == opened + 1
    answer = driver.command(
        command="/offer", text="postgres", user_id="U0BOB", channel_id="C0GENERAL"
    )
    assert "You now offer help" in reply_text(answer)


def test_an_app_token_slack_refuses_stops_start_up_with_one_line(
    database_url: str, slack: SlackStandIn
) -> None:
    settings = bot_settings(database_url, slack, "socket")
    wrong = settings.__class__(**{**settings.__dict__, "slack_app_token": APP_TOKEN + "-wrong"})
    server = BotServer(wrong, host="127.0.0.1", port=0)
    with pytest.raises(StartupError) as refused:
        server.start()
    assert str(refused.value) == "SLACK_APP_TOKEN was refused by Slack (invalid_auth)"
    server.stop()
