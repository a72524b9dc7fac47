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
from app.sandbox.driver import SlackDriver

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
