"""The driver signs and shapes requests as Slack does, checked with slack-sdk's verifier."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs

import pytest
from slack_sdk.signature import SignatureVerifier

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver, SocketModeDriver, UndeliverableEvent
from app.sandbox.slack_api import SlackStandIn

SECRET = "driversecret123"


class Recorder(BaseHTTPRequestHandler):
    """Stores each request's headers and body and answers 200."""

    seen: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Recorder.seen.append((dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorded() -> Iterator[tuple[SlackDriver, list[tuple[dict[str, str], bytes]]]]:
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with SlackDriver(f"http://127.0.0.1:{server.server_address[1]}", SECRET) as driver:
        yield driver, Recorder.seen
    server.shutdown()


@pytest.fixture
def strict(
    recorded: tuple[SlackDriver, list[tuple[dict[str, str], bytes]]], slack: SlackStandIn
) -> tuple[SlackDriver, list[tuple[dict[str, str], bytes]]]:
    """The recording driver, told which conversations the stand-in's bot is in."""
    driver, seen = recorded
    driver.slack = slack
    return driver, seen


def _verified(headers: dict[str, str], body: bytes) -> bool:
    return SignatureVerifier(SECRET).is_valid_request(body, headers)


def test_commands_are_signed_form_posts(recorded: tuple) -> None:
    driver, seen = recorded
    driver.command(command="/kudos", text="<@U1|al> thanks", user_id="U2", channel_id="D123")
    headers, body = seen[0]
    assert _verified(headers, body)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert fields["channel_name"] == "directmessage"
    assert fields["is_enterprise_install"] == "false"
    assert fields["text"] == "<@U1|al> thanks"


def test_interactions_carry_a_json_payload_field(recorded: tuple) -> None:
    driver, seen = recorded
    driver.interactive(payloads.block_actions(user_id="U1", action_id="ask.claim", value="7"))
    headers, body = seen[0]
    assert _verified(headers, body)
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["actions"][0]["value"] == "7"
    assert payload["user"]["id"] == "U1"


def test_events_are_signed_json_with_retry_headers(recorded: tuple) -> None:
    driver, seen = recorded
    envelope = payloads.event_callback(payloads.app_uninstalled_event(), event_id="Ev1")
    driver.event(envelope, retry_num=2)
    headers, body = seen[0]
    assert _verified(headers, body)
    assert headers["Content-Type"] == "application/json"
    assert (headers["X-Slack-Retry-Num"], headers["X-Slack-Retry-Reason"]) == ("2", "http_timeout")
    assert json.loads(body)["event_id"] == "Ev1"


def test_a_bad_signature_does_not_verify(recorded: tuple) -> None:
    driver, seen = recorded
    driver.event(payloads.url_verification("x"), bad_signature=True)
    headers, body = seen[0]
    assert not _verified(headers, body)


def test_message_events_mark_thread_replies(recorded: tuple) -> None:
    reply = payloads.message_event(user="U1", channel="C1", text="hi", ts="2.0", thread_ts="1.0")
    assert reply["thread_ts"] != reply["ts"]
    assert "client_msg_id" in reply
    bot = payloads.message_event(user="UB", channel="C1", text="hi", ts="3.0", bot_id="B1")
    assert "client_msg_id" not in bot


def _sent_events(seen: list[tuple[dict[str, str], bytes]]) -> list[str]:
    return [json.loads(body)["event"]["type"] for _, body in seen]


def test_message_events_come_only_from_conversations_the_bot_is_in(
    strict: tuple, slack: SlackStandIn
) -> None:
    driver, seen = strict
    event = slack.user_posts("C0GENERAL", "U0BOB", "anyone?")
    with pytest.raises(UndeliverableEvent, match=r"not a member of C0GENERAL"):
        driver.event(payloads.event_callback(event))
    edited = payloads.message_changed_event(
        channel="C0GENERAL", message=event, previous=event, ts=event["ts"]
    )
    with pytest.raises(UndeliverableEvent):
        driver.event(payloads.event_callback(edited))
    assert seen == []
    slack.set_bot_member("C0GENERAL", True)
    driver.event(payloads.event_callback(event))
    driver.event(payloads.event_callback(edited))
    assert _sent_events(seen) == ["message", "message"]


def test_reactions_come_only_from_conversations_the_bot_is_in(
    strict: tuple, slack: SlackStandIn
) -> None:
    driver, seen = strict
    slack.add_channel("G0SECRET", "secret", is_private=True)
    added = payloads.reaction_added_event(
        user="U0BOB", reaction="tada", channel="G0SECRET", ts="1.000001", item_user="U0ALICE"
    )
    removed = {**added, "type": "reaction_removed"}
    for event in (added, removed):
        with pytest.raises(UndeliverableEvent, match="reaction"):
            driver.event(payloads.event_callback(event))
    slack.set_bot_member("G0SECRET", True)
    driver.event(payloads.event_callback(added))
    assert _sent_events(seen) == ["reaction_added"]


def test_dms_and_other_events_are_always_delivered(strict: tuple, slack: SlackStandIn) -> None:
    driver, seen = strict
    dm = payloads.message_event(
        user="U0BOB", channel="D0BOB", text="hi", ts="1.000001", channel_type="im"
    )
    driver.event(payloads.event_callback(dm))
    driver.event(payloads.event_callback(payloads.app_home_opened_event(user="U0BOB")))
    driver.event(payloads.event_callback(payloads.user_change_event(slack.users["U0DAVE"])))
    assert _sent_events(seen) == ["message", "app_home_opened", "user_change"]
    # A forged envelope from a workspace the stand-in does not hold is the bot's to refuse.
    forged = payloads.message_event(user="U0BOB", channel="C0GENERAL", text="x", ts="3.0")
    driver.event(payloads.event_callback(forged, team_id="T0NOTHERE"))
    # A channel the stand-in never heard of is one the bot is not in.
    unknown = payloads.message_event(user="U0BOB", channel="C0ELSEWHERE", text="x", ts="2.0")
    with pytest.raises(UndeliverableEvent):
        driver.event(payloads.event_callback(unknown))


def test_the_socket_mode_driver_checks_membership_too(slack: SlackStandIn) -> None:
    socket = slack.enable_socket_mode("xapp-1-A0001-1-driver")
    event = slack.user_posts("C0GENERAL", "U0BOB", "anyone?")
    with (
        SocketModeDriver("http://127.0.0.1:9", socket, slack=slack) as driver,
        pytest.raises(UndeliverableEvent),
    ):
        driver.event(payloads.event_callback(event))
