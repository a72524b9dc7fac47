"""`user_change` / `team_join`: keep the member directory fresh; a deleted person is forgotten."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from app.directory.service import save_members
from app.privacy.service import forget_person
from app.runtime import Runtime
from app.store.db import transaction


def register(app: App, runtime: Runtime) -> None:
    """Attach the directory listeners."""

    def save(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        user = event.get("user")
        if isinstance(user, dict):
            # Saving the same profile twice is harmless: retries need no dedupe.
            team_id = str(body.get("team_id"))
            with transaction(runtime.sessions) as session:
                save_members(session, team_id, [user], runtime.clock.now())
                if user.get("deleted") and user.get("id"):
                    # Slack deleted the person: erase what we keep about them (SECURITY.md).
                    forget_person(session, team_id, str(user["id"]), runtime.clock.now())
        ack()

    app.event("user_change")(save)
    app.event("team_join")(save)
