"""`user_change` / `team_join`: keep the member directory fresh (deleted users included)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from app.directory.service import save_members
from app.runtime import Runtime
from app.store.db import transaction


def register(app: App, runtime: Runtime) -> None:
    """Attach the directory listeners."""

    def save(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        user = event.get("user")
        if isinstance(user, dict):
            # Saving the same profile twice is harmless: retries need no dedupe.
            with transaction(runtime.sessions) as session:
                save_members(session, str(body.get("team_id")), [user], runtime.clock.now())
        ack()

    app.event("user_change")(save)
    app.event("team_join")(save)
