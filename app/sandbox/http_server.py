"""The stand-in's HTTP side: reads requests as Slack's Web API takes them, writes JSON answers.

Web API calls (`/api/<method>`, form or JSON bodies, a Bearer token, Basic app credentials for
OAuth), posts to a `response_url` (`/response/…`) and file bytes to an upload URL (`/upload/…`)
go to a `Responder`, which answers and is told what to record; so do browsers' visits to Slack's
pages (the Sign in with Slack authorize page), which are not recorded; anything else is 404.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from app.sandbox.answers import Answer, Call, refusal

# Arguments Slack takes as JSON text when a form body carries them.
_JSON_ARGS = ("blocks", "attachments", "view", "metadata", "files")


class Responder(Protocol):
    """What answers the requests the server reads, and keeps the record of them."""

    def handle_api(self, method: str, args: dict[str, Any], token: str | None) -> Answer:
        """Answer one Web API call."""
        ...

    def handle_response_url(self, path: str, payload: dict[str, Any]) -> Answer:
        """Answer one post to a `response_url`."""
        ...

    def handle_page(self, path: str, query: dict[str, str]) -> Answer | None:
        """Answer a browser's GET of one of Slack's pages (not a Web API call), or None."""
        ...

    def handle_upload(self, path: str, body: bytes) -> Answer:
        """Answer the POST of a file's bytes to an upload URL."""
        ...

    def record(self, call: Call) -> None:
        """Keep `call` in the record of calls answered."""
        ...


def serve(responder: Responder) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Serve `responder` on 127.0.0.1 and a random port from a background thread."""
    handler = type("Handler", (_Handler,), {"responder": responder})
    server = QuietServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return server, thread


class QuietServer(ThreadingHTTPServer):
    """The stand-in's HTTP server: a thread per connection, quiet about clients that vanish."""

    # socketserver's default backlog is 5. When the delivery worker's senders opened connections
    # together, the kernel dropped the SYNs beyond it, and each came back a second later (TCP's
    # first retransmission) with its call: a post a second late, ListenOverflows counted.
    # Slack's edge accepts a client's connections as they come; so does this.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that vanish mid-request (killed workers, timeouts); Slack does too."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    responder: Responder
    protocol_version = "HTTP/1.1"
    # Without this, keep-alive clients stall ~40 ms a call on delayed ACKs of split writes.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the stand-in's record is `calls`, not stderr."""

    def do_GET(self) -> None:
        self._dispatch(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length))

    def _dispatch(self, body: bytes) -> None:
        parts = urlsplit(self.path)
        if parts.path.startswith("/api/"):
            method = parts.path[len("/api/") :]
            args = _parse_args(self.headers.get("Content-Type", ""), body, parts.query, method)
            args.update(_basic(self.headers.get("Authorization")))
            token = _bearer(self.headers.get("Authorization")) or args.pop("token", None)
            answer = self.responder.handle_api(method, args, token)
            self._record(method, args, token, answer)
        elif parts.path.startswith("/response/"):
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                payload = {"_invalid": body.decode("utf-8", "replace")}
            answer = self.responder.handle_response_url(parts.path, payload)
            self._record("response_url", {**payload, "_url": parts.path}, None, answer)
        elif parts.path.startswith("/upload/") and self.command == "POST":
            answer = self.responder.handle_upload(parts.path, body)
            self._record("upload_url", {"_url": parts.path, "length": len(body)}, None, answer)
        else:
            page = None
            if self.command == "GET":
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                page = self.responder.handle_page(parts.path, query)
            answer = page or refusal("not_found", 404)
        self._answer(answer)

    def _record(self, method: str, args: dict[str, Any], token: str | None, answer: Answer) -> None:
        self.responder.record(
            Call(
                method,
                args,
                token,
                time.monotonic(),
                answer.status,
                answer.body,
                answer.undocumented,
            )
        )

    def _answer(self, answer: Answer) -> None:
        if answer.page is not None:
            payload, kind = answer.page.encode(), "text/html; charset=utf-8"
        elif answer.text is not None:
            payload, kind = answer.text.encode(), "text/plain; charset=utf-8"
        else:
            payload = json.dumps(answer.body, default=_jsonable).encode()
            kind = "application/json; charset=utf-8"
        try:
            self.send_response(answer.status, HTTPStatus(answer.status).phrase)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout); Slack would have done the work all the same.
            self.close_connection = True


def _jsonable(value: Any) -> Any:
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(type(value).__name__)


def _basic(header: str | None) -> dict[str, str]:
    """The app credentials of an HTTP Basic header, as `oauth.v2.access` accepts them."""
    if not header or not header.lower().startswith("basic "):
        return {}
    try:
        client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return {}
    return {"client_id": client_id, "client_secret": secret}


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


# The methods of those the bot calls that Slack documents as taking a JSON body ("JSON-encoded
# bodies" in Slack's Web API docs: the write methods); kept here apart from the bot's own list,
# so a method the bot wrongly sends JSON to fails as it would on Slack.
_JSON_BODY_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "chat.delete",
        "views.open",
        "views.publish",
        "views.push",
        "views.update",
    }
)


def _parse_args(content_type: str, body: bytes, query: str, method: str) -> dict[str, Any]:
    """A call's arguments to `method` from its query string and form or JSON body (JSON only
    where Slack takes it), JSON-valued ones decoded."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if body:
        if content_type.startswith("application/json"):
            if method not in _JSON_BODY_METHODS:
                # Slack reads JSON bodies for write methods only; a read method sent one sees
                # no arguments at all (and answers as it would to a call without them).
                return args

            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = {}
            if isinstance(decoded, dict):
                args.update(decoded)
        else:
            args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    for key in _JSON_ARGS:
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                args[key] = {"_invalid": args[key]}
    return args
