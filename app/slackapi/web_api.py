"""A pooled, keep-alive client for Slack's Web API, with Slack's failures as typed exceptions.

slack-sdk's WebClient opens a connection per call; the delivery worker posts hundreds of messages,
so every call the bot makes outside Bolt's request handling goes through one `WebApi` instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx

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
        transport: httpx.BaseTransport | None = None,
        on_call: Callable[[str, str], None] | None = None,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        # Told of every call as (method, "ok" or the error): the metrics count them.
        self.on_call = on_call
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
            headers={"User-Agent": "reciprocity (+https://github.com/reciprocity)"},
        )

    def call(
        self,
        method: str,
        token: str,
        args: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Call `method` as `token`; return Slack's JSON or raise one of this module's errors."""
        return self._counted(method, lambda: self._call(method, token, args, timeout))

    def _call(
        self,
        method: str,
        token: str,
        args: Mapping[str, Any] | None,
        timeout: float | None,
    ) -> dict[str, Any]:
        form = {key: _form_value(value) for key, value in (args or {}).items() if value is not None}
        response = self._send(
            method,
            lambda: self._client.post(
                self.base_url + method,
                data=form,
                headers={"Authorization": f"Bearer {token}"},
                timeout=self._client.timeout if timeout is None else httpx.Timeout(timeout),
            ),
        )
        body = _json(method, response)
        if not body.get("ok"):
            raise _refusal(method, body, response)
        return body

    def post_response_url(self, url: str, payload: Mapping[str, Any]) -> None:
        """Post `payload` to an interaction's `response_url` (the URL is the credential)."""
        self._counted("response_url", lambda: self._post_response_url(url, payload))

    def _post_response_url(self, url: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        response = self._send("response_url", lambda: self._client.post(url, json=dict(payload)))
        if response.status_code == 404:
            raise WebApiError("response_url", "used_up")
        body = _json("response_url", response) if response.content.strip().startswith(b"{") else {}
        if body and not body.get("ok", True):
            raise _refusal("response_url", body, response)
        return body

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _counted(self, method: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run `call`, telling `on_call` how it ended: "ok", Slack's error code, "ratelimited"
        or the transient failure's reason."""
        status = "ok"
        try:
            return call()
        except RateLimited:
            status = "ratelimited"
            raise
        except TransientError as exc:
            status = exc.reason
            raise
        except WebApiError as exc:
            status = exc.error
            raise
        finally:
            if self.on_call is not None:
                self.on_call(method, status)

    def _send(self, method: str, send: Any) -> httpx.Response:
        try:
            response: httpx.Response = send()
        except httpx.TimeoutException as exc:
            raise TransientError(f"{method}: timed out", "timeout") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{method}: {type(exc).__name__}", "transport") from exc
        if response.status_code == 429:
            raise RateLimited(method, _retry_after(response.headers.get("Retry-After")))
        if response.status_code >= 500:
            raise TransientError(
                f"{method}: HTTP {response.status_code}", "http_5xx", answered=True
            )
        return response


def _refusal(method: str, body: Mapping[str, Any], response: httpx.Response) -> Exception:
    """Return the exception for Slack's `ok: false` answer `body`: the one place that sorts
    Slack's error codes into rate limits, ambiguous failures and refusals."""
    error = str(body.get("error", "unknown_error"))
    if error in RATE_LIMIT_ERRORS:
        return RateLimited(method, _retry_after(response.headers.get("Retry-After")))
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
    return json.dumps(value, separators=(",", ":"))


def _json(method: str, response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise TransientError(
            f"{method}: HTTP {response.status_code} with a non-JSON body",
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
