"""`reaction_added` / `reaction_removed`: kudos by the workspace's configured emoji."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from app.kudos import reactions
from app.runtime import Runtime
from app.slack.event_door import run_event


def register(app: App, runtime: Runtime) -> None:
    """Attach the reaction listeners."""

    @app.event("reaction_added")
    def added(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        reaction = reactions.Reaction.from_payload(body, event)
        # A database failure raises: Slack sends the reaction again rather than it being lost.
        run_event(
            context,
            lambda session, now: reactions.on_reaction_added(
                session, runtime.lookup, reaction, now
            ),
        )
        ack()

    @app.event("reaction_removed")
    def removed(
        ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext
    ) -> None:
        reaction = reactions.Reaction.from_payload(body, event)
        run_event(
            context, lambda session, now: reactions.on_reaction_removed(session, reaction, now)
        )
        ack()
