"""`reaction_added` / `reaction_removed`: kudos by the workspace's configured emoji."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from app.kudos import reactions
from app.runtime import Runtime
from app.store.db import transaction


def register(app: App, runtime: Runtime) -> None:
    """Attach the reaction listeners."""

    @app.event("reaction_added")
    def added(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        with transaction(runtime.sessions) as session:
            reactions.on_reaction_added(
                session,
                runtime.lookup,
                str(body.get("team_id")),
                str(body.get("event_id")),
                event,
                runtime.clock.now(),
            )
        ack()

    @app.event("reaction_removed")
    def removed(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        with transaction(runtime.sessions) as session:
            reactions.on_reaction_removed(
                session,
                str(body.get("team_id")),
                str(body.get("event_id")),
                event,
                runtime.clock.now(),
            )
        ack()
