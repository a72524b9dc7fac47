"""`user_change` / `team_join`: keep the member directory fresh, deactivation included.

`deleted: true` is Slack's deactivation, which an admin can undo: it only sets the directory's
flag (app/directory/departures.py). Nothing the person gave, asked or answered is erased; that
takes `reciprocity forget` (SECURITY.md).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from app.directory.departures import profile_changed
from app.runtime import Runtime
from app.slack.event_door import run_event


def register(app: App, runtime: Runtime) -> None:
    """Attach the directory listeners."""

    def save(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        user = event.get("user")
        if isinstance(user, dict) and user.get("id"):
            team_id = str(body.get("team_id"))
            run_event(context, lambda session, now: profile_changed(session, team_id, user, now))
        ack()

    app.event("user_change")(save)
    app.event("team_join")(save)
