"""What the stand-in answers a call with (`Answer`), and its record of each call (`Call`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.sandbox.workspace import MissingScope, RateLimited, SlackError


@dataclass(frozen=True)
class Call:
    """One request the stand-in answered."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    status: int
    response: dict[str, Any]
    # The answer was an error a test injected knowing no Slack page documents it for the method.
    undocumented: bool = False

    @property
    def ok(self) -> bool:
        """Whether Slack would have reported success."""
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class Answer:
    """The HTTP status, JSON body (or `text`) and headers the stand-in answers one call with;
    `body` is also what the record of the call keeps."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    undocumented: bool = False
    # A browser page (the authorize page's errors): sent as HTML instead of `body`.
    page: str | None = None
    # Sent as the body instead of `body`'s JSON, as text/plain (the upload URL answers so).
    text: str | None = None


def refusal(error: str, status: int = 200) -> Answer:
    """Slack's answer refusing a call with `error`: `ok: false` and the code."""
    return Answer(status, {"ok": False, "error": error})


def error_answer(exc: SlackError) -> Answer:
    """Slack's answer for a failed call: `ok: false`, the code, and any messages or Retry-After;
    for `missing_scope`, the scope `needed` and the comma-separated scopes `provided`."""
    body: dict[str, Any] = {"ok": False, "error": exc.error}
    if isinstance(exc, MissingScope):
        body["needed"] = exc.needed
        body["provided"] = ",".join(exc.provided)
    if exc.messages:
        body["response_metadata"] = {"messages": list(exc.messages)}
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}
    return Answer(exc.status, body, headers)
