"""`reaction_added` / `reaction_removed`: kudos by the workspace's configured emoji."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from app.kudos import reactions
from app.runtime import Runtime
from app.slack.door import Unavailable, door
from app.slackapi.outcomes import Outcome


def register(app: App, runtime: Runtime) -> None:
    """Attach the reaction listeners."""

    @app.event("reaction_added")
    def added(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        reaction = reactions.Reaction.from_payload(body, event)
        outcome = door(context).run(
            lambda session, now: reactions.on_reaction_added(session, runtime.lookup, reaction, now)
        )
        _answer(ack, outcome)

    @app.event("reaction_removed")
    def removed(
        ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext
    ) -> None:
        reaction = reactions.Reaction.from_payload(body, event)
        outcome = door(context).run(
            lambda session, now: reactions.on_reaction_removed(session, reaction, now)
        )
        _answer(ack, outcome)


class EventNotStored(RuntimeError):
    """The database failed while an event was handled: it is not acknowledged, so Slack resends."""


def _answer(ack: Ack, outcome: Outcome | Unavailable) -> None:
    """Acknowledge the event, unless nothing could be stored: then fail it, so Slack sends it
    again rather than the reaction being lost."""
    if isinstance(outcome, Unavailable):
        raise EventNotStored("the database is unavailable")
    ack()
