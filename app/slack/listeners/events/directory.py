"""`user_change` / `team_join`: keep the member directory fresh, deactivation included.

`deleted: true` is Slack's deactivation, which an admin can undo: it only sets the directory's
flag (app/directory/departures.py). Nothing the person gave, asked or answered is erased; that
takes `reciprocity forget` (SECURITY.md).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from app.directory.departures import set_deactivated
from app.directory.service import save_members
from app.runtime import Runtime
from app.store.db import transaction


def register(app: App, runtime: Runtime) -> None:
    """Attach the directory listeners."""

    def save(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        user = event.get("user")
        if isinstance(user, dict) and user.get("id"):
            # Saving the same profile twice is harmless: retries need no dedupe.
            team_id = str(body.get("team_id"))
            now = runtime.clock.now()
            with transaction(runtime.sessions) as session:
                save_members(session, team_id, [user], now)
                set_deactivated(session, team_id, str(user["id"]), bool(user.get("deleted")), now)
        ack()

    app.event("user_change")(save)
    app.event("team_join")(save)
