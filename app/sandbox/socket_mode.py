"""The stand-in's Socket Mode side: a local WebSocket that sends envelopes and checks the acks.

Slack hands an app-level token a WebSocket URL from `apps.connections.open`, greets each
connection with `hello`, sends every request as an envelope (`slash_commands`, `interactive`,
`events_api`) and expects `{"envelope_id": …}` back within 3 seconds, with a `payload` where
the HTTP response body would carry one. It may ask a connection to go (`disconnect`) at any time.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

ACK_SECONDS = 3.0


@dataclass
class Envelope:
    """One request sent over the socket, and the ack it got (if any)."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    sent_at: float
    acked: threading.Event = field(default_factory=threading.Event)
    ack: dict[str, Any] | None = None
    ack_seconds: float | None = None


class SocketModeServer:
    """A WebSocket endpoint speaking Slack's Socket Mode protocol to the bot."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.envelopes: list[Envelope] = []
        self.connections_opened = 0
        self._connections: list[ServerConnection] = []
        self._pending: dict[str, Envelope] = {}
        self._lock = threading.Lock()
        self._connected = threading.Condition(self._lock)
        self._server: Server | None = None
        self._tickets = itertools.count(1)

    def start(self) -> SocketModeServer:
        """Listen on 127.0.0.1 and a free port, in a background thread."""
        self._server = serve(self._serve, "127.0.0.1", 0)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is not None:
            self._server.shutdown()

    def new_url(self) -> str:
        """A fresh connection URL, as `apps.connections.open` answers."""
        assert self._server is not None, "start() the socket server first"
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={next(self._tickets)}&app_id={self.app_id}"

    def wait_connected(self, timeout: float = 10.0) -> None:
        """Block until the bot holds at least one open connection."""
        deadline = time.monotonic() + timeout
        with self._connected:
            while not self._connections:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("the bot never connected over Socket Mode")
                self._connected.wait(left)

    @property
    def connection_count(self) -> int:
        """How many connections are open now."""
        with self._lock:
            return len(self._connections)

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = ACK_SECONDS,
    ) -> Envelope:
        """Send one envelope on the newest connection and wait up to `timeout` for its ack."""
        self.wait_connected()
        envelope = Envelope(str(uuid.uuid4()), kind, payload, time.monotonic())
        message: dict[str, Any] = {
            "envelope_id": envelope.envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            message["retry_attempt"] = retry_attempt
            message["retry_reason"] = retry_reason
        with self._lock:
            self._pending[envelope.envelope_id] = envelope
            self.envelopes.append(envelope)
            connection = self._connections[-1]
        connection.send(json.dumps(message))
        envelope.acked.wait(timeout)
        return envelope

    def ask_to_disconnect(self, reason: str = "refresh_requested") -> None:
        """Tell every connection to go, as Slack does every few hours, then close them."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.send(json.dumps({"type": "disconnect", "reason": reason}))
            finally:
                connection.close()

    def _serve(self, connection: ServerConnection) -> None:
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": self.app_id},
                    "debug_info": {"host": "stand-in", "approximate_connection_time": 18060},
                }
            )
        )
        with self._connected:
            self._connections.append(connection)
            self.connections_opened += 1
            self._connected.notify_all()
        try:
            for raw in connection:
                self._receive(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)

    def _receive(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        with self._lock:
            envelope = self._pending.pop(str(envelope_id), None) if envelope_id else None
        if envelope is None:
            return
        envelope.ack = message
        envelope.ack_seconds = time.monotonic() - envelope.sent_at
        envelope.acked.set()
