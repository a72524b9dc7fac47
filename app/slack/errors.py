"""What Slack hears when a listener fails unexpectedly: never a bare 500 for a person's action.

A failed command gets an apology the person can see; a failed button or form gets a plain 200
(Slack shows nothing odd, and the error is logged with its traceback). A failed event keeps its
500, so Slack retries it: events are handled exactly once, and a retry may succeed.
"""

from __future__ import annotations

import json
import logging

from slack_bolt import BoltRequest, BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from app.slack.observe import report
from app.slack.replies import TRY_AGAIN

log = logging.getLogger(__name__)

SORRY = (
    ":warning: Something went wrong on our side and nothing was saved. "
    "Please try again in a moment."
)


def answer_failure(
    error: Exception, request: BoltRequest, response: BoltResponse | None
) -> BoltResponse | None:
    """Log the failure; return the response a person should get instead of a 500 (or None)."""
    body = request.body if isinstance(request.body, dict) else {}
    kind = str(body.get("type") or ("slash_command" if "command" in body else "unknown"))
    log.error("a %s listener failed: %s", kind, type(error).__name__, exc_info=error)
    # The apology below is a 200; the metrics and the request's log line must still say error.
    report(request.context, "error")
    if response is None or kind == "event_callback":
        # Already acknowledged, or an event: Slack retries events that got no 2xx.
        return None
    if kind == "slash_command":
        # The database being away is worth saying: it passes, and nothing was half-saved.
        apology = TRY_AGAIN if isinstance(error, SQLAlchemyError) else SORRY
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": apology}),
            headers={"content-type": "application/json"},
        )
    return BoltResponse(status=200, body="")
