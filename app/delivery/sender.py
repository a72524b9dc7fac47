"""One outbox row's Web API call, and how it ended as a plain `Outcome`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.delivery.privacy import PrivacyCheck
from app.slack.web_api import AUTH_ERRORS, RateLimited, SlackApiError, TransientError, WebApi


@dataclass(frozen=True)
class Outcome:
    """How a call ended: sent (with channel and ts), or an error and whether to retry."""

    ok: bool
    channel: str | None = None
    ts: str | None = None
    error: str | None = None
    permanent: bool = False
    auth_failed: bool = False
    retry_after: float | None = None

    @classmethod
    def permanent_failure(cls, error: str) -> Outcome:
        """A failure no retry can mend."""
        return cls(ok=False, error=error, permanent=True)


def send(
    api: WebApi,
    method: str,
    args: Mapping[str, Any],
    token: str,
    privacy: PrivacyCheck | None = None,
    team_id: str = "",
) -> Outcome:
    """Make the call an outbox row describes and return how it ended; never raises Slack errors.

    With `privacy`, arguments guarded by `IF_PRIVATE` are settled against the channel as it is now.
    """
    try:
        if privacy is not None:
            args = privacy.resolve(team_id, token, args)
        if method == "response_url":
            api.post_response_url(str(args["url"]), args["payload"])
            return Outcome(ok=True)
        if method == "dm":
            rest = {key: value for key, value in args.items() if key != "user"}
            # Posting to a user id lands in the app's DM with that person.
            answer = api.call("chat.postMessage", token, {**rest, "channel": args["user"]})
        else:
            answer = api.call(method, token, args)
    except RateLimited as exc:
        return Outcome(ok=False, error="ratelimited", retry_after=exc.retry_after)
    except TransientError as exc:
        return Outcome(ok=False, error=str(exc))
    except SlackApiError as exc:
        if exc.error in AUTH_ERRORS:
            return Outcome(ok=False, error=exc.error, auth_failed=True)
        return Outcome(ok=False, error=exc.error, permanent=exc.permanent)
    channel = answer.get("channel")
    ts = answer.get("ts") or answer.get("message_ts")
    return Outcome(ok=True, channel=str(channel) if channel else None, ts=str(ts) if ts else None)
