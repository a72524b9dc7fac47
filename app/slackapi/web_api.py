"""A pooled, keep-alive client for Slack's Web API, with Slack's failures as typed exceptions.

slack-sdk's WebClient opens a connection per call; the delivery worker posts hundreds of messages,
so every call the bot makes outside Bolt's request handling goes through one `WebApi` instead.
Its connections are `http_pool.HttpPool`'s (kept alive, answers parsed by httptools), not httpx's:
a twentieth of httpx's Python calls per Slack call, for the same failures (that module's docstring
says why, bench/README.md "The Slack call (issue 21)" has the figures).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from app import json_codec
from app.slackapi.http_pool import Answer, HttpPool, MaybeSent, NotSent, Origin, Transport

_T = TypeVar("_T")

USER_AGENT = "reciprocity (+https://github.com/reciprocity)"
JSON = "application/json; charset=utf-8"
FORM = "application/x-www-form-urlencoded"
# How the POST of a file's bytes to its upload URL is named in errors and metrics (not a method).
UPLOAD_URL = "upload_url"
# The write methods Slack takes JSON bodies for (as slack-sdk sends them): one C call to encode,
# where a form encodes each argument apart. Every other method gets a form, as Slack documents.
JSON_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "views.publish",
        "views.open",
        "views.update",
        "views.push",
    }
)

# Slack answers these with HTTP 200 and ok=false; retrying them cannot help.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "user_not_found",
        "user_not_in_channel",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_arguments",
        "message_not_found",
        "cant_update_message",
        "restricted_action",
        "expired_trigger_id",
        "used_up",
        "missing_scope",
        "team_access_not_granted",
        "ekm_access_denied",
        "channel_is_archived",
        "cannot_dm_bot",
        "user_disabled",
        # File uploads (files.getUploadURLExternal, files.completeUploadExternal).
        "file_uploads_disabled",
        "alt_txt_too_large",
        "missing_argument",
        "invalid_channel",
        "file_not_found",
        "posting_to_channel_denied",
        "invalid_upload_url",
    }
)
# Slack answers these with HTTP 200 and ok=false, and documents that some aspect of the call may
# have succeeded all the same: like a 5xx, they are transient, and a post may exist.
AMBIGUOUS_ERRORS = frozenset({"fatal_error", "internal_error"})
# "Too many calls" in an HTTP 200 body: `ratelimited`, or `rate_limited` as Slack's OpenAPI
# reference spells it for chat.postMessage. Treated like a 429.
RATE_LIMIT_ERRORS = frozenset({"ratelimited", "rate_limited"})
# The workspace itself can no longer be reached with this token.
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "team_access_not_granted",
    }
)


class WebApiError(Exception):
    """Slack refused the call (ok=false); `error` is Slack's error code."""

    def __init__(self, method: str, error: str, response: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error
        self.response = dict(response or {})

    @property
    def permanent(self) -> bool:
        """Whether a retry of the same call is pointless."""
        return self.error in PERMANENT_ERRORS


class RateLimited(Exception):
    """Slack answered 429 (or `ratelimited` in an HTTP 200 body); wait `retry_after` seconds
    before calling this method again."""

    def __init__(self, method: str, retry_after: float) -> None:
        super().__init__(f"{method}: ratelimited, retry after {retry_after:g}s")
        self.method = method
        self.retry_after = retry_after


class TransientError(Exception):
    """A 5xx, `fatal_error`, a timeout or a broken connection: the call may or may not have
    happened; retry.

    `reason` is one of "http_5xx", "timeout", "transport", "bad_response" (a body that is not
    Slack's JSON) or an `AMBIGUOUS_ERRORS` code, for the metrics. `answered` says Slack finished
    with the request and answered (a 5xx, `fatal_error`): whatever it did is done. Otherwise (a
    timeout, a connection cut mid-call) Slack may still be carrying the call out.
    """

    def __init__(self, message: str, reason: str = "transport", *, answered: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.answered = answered


class WebApi:
    """Calls Slack Web API methods over one keep-alive connection pool."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        max_connections: int = 64,
        transport: Transport | None = None,
        on_call: Callable[[str, str], None] | None = None,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        # Split once: the origin (and its proxy) is the same for every call.
        self._origin, self._path = Origin.split(self.base_url)
        self.timeout = timeout
        # Told of every call as (method, "ok" or the error): the metrics count them.
        self.on_call = on_call
        self._transport: Transport = transport or HttpPool(
            connect_timeout=min(timeout, 5.0), max_connections=max_connections
        )

    def call(
        self,
        method: str,
        token: str,
        args: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Call `method` as `token` (empty: no token); return Slack's JSON or raise one of this
        module's errors."""
        return self._counted(method, lambda: self._call(method, token, args, timeout))

    def _counted(self, name: str, work: Callable[[], _T]) -> _T:
        """Return what `work` returns, telling `on_call` how the call named `name` ended: "ok",
        or how it failed (the failure is raised on)."""
        status = "ok"
        try:
            return work()
        except SLACK_FAILURES as exc:
            status = _status(exc)
            raise
        finally:
            if self.on_call is not None:
                self.on_call(name, status)

    def _call(
        self,
        method: str,
        token: str,
        args: Mapping[str, Any] | None,
        timeout: float | None,
    ) -> dict[str, Any]:
        headers = {"User-Agent": USER_AGENT}
        if token:
            # Methods that take the app's credentials instead (openid.connect.token) get none.
            headers["Authorization"] = f"Bearer {token}"
        given = {key: value for key, value in (args or {}).items() if value is not None}
        if method in JSON_METHODS:
            headers["Content-Type"] = JSON
            body = json_codec.dumps_bytes(given)
        else:
            headers["Content-Type"] = FORM
            body = urlencode({key: _form_value(value) for key, value in given.items()}).encode()
        answer = self._send(method, self._origin, self._path + method, headers, body, timeout)
        reply = _json(method, answer)
        if not reply.get("ok"):
            raise _refusal(method, reply, answer)
        return reply

    def post_response_url(self, url: str, payload: Mapping[str, Any]) -> None:
        """Post `payload` to an interaction's `response_url` (the URL is the credential)."""
        self._counted("response_url", lambda: self._post_response_url(url, payload))

    def _post_response_url(self, url: str, payload: Mapping[str, Any]) -> None:
        origin, path = Origin.split(url)
        headers = {"User-Agent": USER_AGENT, "Content-Type": JSON}
        body = json_codec.dumps_bytes(dict(payload))
        answer = self._send("response_url", origin, path, headers, body, None)
        if answer.status == 404:
            raise WebApiError("response_url", "used_up")
        reply = _json("response_url", answer) if answer.body.strip().startswith(b"{") else {}
        if reply and not reply.get("ok", True):
            raise _refusal("response_url", reply, answer)

    def upload(self, url: str, data: bytes) -> None:
        """POST `data` as the raw body to an `upload_url` from `files.getUploadURLExternal` (the
        URL is the credential); raise one of this module's errors unless Slack answers 200."""
        self._counted(UPLOAD_URL, lambda: self._upload(url, data))

    def _upload(self, url: str, data: bytes) -> None:
        try:
            origin, path = Origin.split(url)
        except ValueError:
            raise WebApiError(UPLOAD_URL, "invalid_upload_url") from None
        headers = {"User-Agent": USER_AGENT, "Content-Type": "application/octet-stream"}
        answer = self._send(UPLOAD_URL, origin, path, headers, data, None)
        # Slack's upload service answers 200 (a line of text, not JSON) when it took the bytes.
        if answer.status != 200:
            raise WebApiError(UPLOAD_URL, f"http_{answer.status}")

    def close(self) -> None:
        """Close the connection pool."""
        self._transport.close()

    def _send(
        self,
        method: str,
        origin: Origin,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        timeout: float | None,
    ) -> Answer:
        """POST the request; return Slack's answer unless it is a 429 or a 5xx, which raise."""
        try:
            answer = self._transport.send(
                origin, path, headers, body, self.timeout if timeout is None else timeout
            )
        except (NotSent, MaybeSent) as exc:
            # `__cause__` keeps whether the request was sent (sender.py's `_NOT_SENT`).
            what = "timed out" if exc.reason == "timeout" else str(exc).split(" (", 1)[0]
            raise TransientError(f"{method}: {what}", exc.reason) from exc
        if answer.status == 429:
            raise RateLimited(method, _retry_after(answer.headers.get("retry-after")))
        if answer.status >= 500:
            raise TransientError(f"{method}: HTTP {answer.status}", "http_5xx", answered=True)
        return answer


SLACK_FAILURES = (RateLimited, TransientError, WebApiError)


def _status(exc: Exception) -> str:
    """How a failed call is counted: "ratelimited", the transient reason or Slack's error."""
    if isinstance(exc, RateLimited):
        return "ratelimited"
    if isinstance(exc, TransientError):
        return exc.reason
    assert isinstance(exc, WebApiError)
    return exc.error


def _refusal(method: str, body: Mapping[str, Any], answer: Answer) -> Exception:
    """Return the exception for Slack's `ok: false` answer `body`: the one place that sorts
    Slack's error codes into rate limits, ambiguous failures and refusals."""
    error = str(body.get("error", "unknown_error"))
    if error in RATE_LIMIT_ERRORS:
        return RateLimited(method, _retry_after(answer.headers.get("retry-after")))
    if error in AMBIGUOUS_ERRORS:
        return TransientError(f"{method}: {error}", error, answered=True)
    return WebApiError(method, error, body)


def _form_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    # Slack takes structured arguments (blocks, view, metadata) as JSON strings in form bodies.
    return json_codec.dumps(value)


def _json(method: str, answer: Answer) -> dict[str, Any]:
    """Slack's JSON answer as a dict; a body that is not one raises (Slack answered, oddly)."""
    try:
        body = json_codec.loads(answer.body)
    except ValueError:
        raise TransientError(
            f"{method}: HTTP {answer.status} with a non-JSON body",
            "bad_response",
            answered=True,
        ) from None
    if not isinstance(body, dict):
        raise TransientError(f"{method}: unexpected body", "bad_response", answered=True)
    return body


def _retry_after(raw: str | None) -> float:
    try:
        return max(1.0, float(raw)) if raw is not None else 1.0
    except ValueError:
        return 1.0
