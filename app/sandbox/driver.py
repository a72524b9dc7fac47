"""Sends requests to a running bot as Slack does: signed, with Slack's headers and bodies."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

if TYPE_CHECKING:
    from app.sandbox.slack_api import SlackStandIn
    from app.sandbox.socket_mode import Envelope, SocketModeServer

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
# Events Slack sends only from conversations the bot is in, or from DMs with it
# (https://api.slack.com/events/message.channels, /events/reaction_added).
MEMBERSHIP_EVENTS = frozenset({"message", "reaction_added", "reaction_removed"})


@dataclass(frozen=True)
class Request:
    """One request to the bot, as either driver carries it."""

    # The Socket Mode envelope type: slash_commands, interactive or events_api.
    kind: str
    payload: dict[str, Any]
    timestamp: int | None = None
    bad_signature: bool = False
    retry_num: int | None = None
    retry_reason: str = "http_timeout"


class UndeliverableEvent(AssertionError):
    """A test asked to send an event Slack would never send the bot."""


def check_deliverable(slack: SlackStandIn, envelope: dict[str, Any]) -> None:
    """Raise `UndeliverableEvent` if Slack would not send `envelope` to the bot.

    Message events (every subtype) and reactions come only from conversations the bot is a
    member of, or from DMs with it; other events are not affected, nor are envelopes from a
    workspace the stand-in does not hold (a forged request's conversations are unknown to it).
    """
    event = envelope.get("event")
    if envelope.get("type") != "event_callback" or not isinstance(event, dict):
        return
    if envelope.get("team_id") not in slack.teams:
        return
    if event.get("type") not in MEMBERSHIP_EVENTS:
        return
    item = event.get("item")
    channel = event.get("channel") or (item.get("channel") if isinstance(item, dict) else None)
    if channel and not slack.hears(str(channel)):
        raise UndeliverableEvent(
            f"Slack would never send this {event['type']} event: the bot is not a member of "
            f"{channel} (have it join with conversations.join, or slack.set_bot_member for an "
            "/invite)"
        )


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return Slack's v0 signature of `body` sent at `timestamp`."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackDriver:
    """Posts signed slash commands, interactions and events to `{base_url}/slack/events`."""

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
        slack: SlackStandIn | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # With the stand-in, events are checked against what the bot can hear before sending.
        self.slack = slack
        self.signing_secret = signing_secret
        self._clock = clock
        self._client = httpx.Client(timeout=timeout)

    def __enter__(self) -> SlackDriver:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def sign(self, body: bytes, timestamp: int) -> str:
        """Return the `X-Slack-Signature` for `body` at `timestamp`."""
        return signature(self.signing_secret, timestamp, body)

    def command(
        self, *, timestamp: int | None = None, bad_signature: bool = False, **fields: Any
    ) -> httpx.Response:
        """Send a slash command; `fields` are `payloads.slash_command`'s keyword arguments."""
        from app.sandbox.payloads import slash_command

        return self._send(
            Request("slash_commands", slash_command(**fields), timestamp, bad_signature)
        )

    def interactive(
        self, payload: dict[str, Any], *, timestamp: int | None = None, bad_signature: bool = False
    ) -> httpx.Response:
        """Send an interaction payload (block action, view submission, shortcut)."""
        return self._send(Request("interactive", payload, timestamp, bad_signature))

    def event(
        self,
        envelope: dict[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        timestamp: int | None = None,
        bad_signature: bool = False,
    ) -> httpx.Response:
        """Send an Events API envelope; `retry_num` marks it as one of Slack's retries.

        Raises `UndeliverableEvent` for a message or reaction event from a conversation the bot
        is not in, when the driver knows the stand-in.
        """
        if self.slack is not None:
            check_deliverable(self.slack, envelope)
        return self._send(
            Request("events_api", envelope, timestamp, bad_signature, retry_num, retry_reason)
        )

    def _send(self, request: Request) -> httpx.Response:
        """Post `request` as Slack's signed HTTP body; a retried event carries Slack's headers."""
        if request.kind != "events_api":
            fields = request.payload
            if request.kind == "interactive":
                fields = {"payload": json.dumps(request.payload)}
            body = urlencode(fields).encode()
            return self.post_raw(
                body, "application/x-www-form-urlencoded", request.timestamp, request.bad_signature
            )
        headers = {}
        if request.retry_num is not None:
            headers = {
                "X-Slack-Retry-Num": str(request.retry_num),
                "X-Slack-Retry-Reason": request.retry_reason,
            }
        body = json.dumps(request.payload).encode()
        return self.post_raw(
            body, "application/json", request.timestamp, request.bad_signature, headers
        )

    def post_raw(
        self,
        body: bytes,
        content_type: str,
        timestamp: int | None = None,
        bad_signature: bool = False,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Post any body to the bot's Slack URL, signed (or deliberately mis-signed)."""
        sent_at = int(self._clock()) if timestamp is None else timestamp
        signed = self.sign(body, sent_at)
        if bad_signature:
            signed = signed[:-4] + ("0000" if not signed.endswith("0000") else "1111")
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(sent_at),
            "X-Slack-Signature": signed,
            "User-Agent": USER_AGENT,
            **(extra_headers or {}),
        }
        return self._client.post(f"{self.base_url}/slack/events", content=body, headers=headers)

    def get(self, path: str) -> httpx.Response:
        """GET a path of the bot (health, metrics)."""
        return self._client.get(self.base_url + path)


class SocketModeDriver(SlackDriver):
    """Sends the same requests as `SlackDriver` over the stand-in's Socket Mode connection.

    Each answer is shaped like the HTTP response Slack would have got: 200 with the ack's payload,
    or 504 when the bot sent no ack in time (Slack shows the person an error then).
    """

    def __init__(
        self,
        base_url: str,
        socket: SocketModeServer,
        *,
        timeout: float = 10.0,
        slack: SlackStandIn | None = None,
    ) -> None:
        super().__init__(base_url, "", timeout=timeout, slack=slack)
        self.socket = socket

    def _send(self, request: Request) -> httpx.Response:
        """Send `request` as a Socket Mode envelope, which carries no signature or timestamp."""
        if request.timestamp is not None or request.bad_signature:
            raise NotImplementedError("signatures and timestamps exist only in HTTP mode")
        sent = self.socket.send(
            request.kind,
            request.payload,
            retry_attempt=request.retry_num or 0,
            retry_reason=request.retry_reason if request.retry_num else "",
        )
        return self._answer(sent)

    def post_raw(self, *args: Any, **kwargs: Any) -> httpx.Response:
        """Raw bodies are an HTTP matter: Socket Mode carries parsed payloads only."""
        raise NotImplementedError("raw, signed bodies exist only in HTTP mode")

    @staticmethod
    def _answer(envelope: Envelope) -> httpx.Response:
        if envelope.ack is None:
            return httpx.Response(504, text="no ack within 3 seconds")
        payload = envelope.ack.get("payload")
        if payload is None:
            return httpx.Response(200)
        return httpx.Response(200, json=payload)
