"""`member_joined_channel`, `channel_left`, `group_left`: where the bot is a member.

The channel cache's `bot_is_member` decides whether an ask or kudos typed in a private channel can
be posted there; an invitation (`/invite @Reciprocity`) or a removal must reach it at once.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from app.directory.service import set_bot_membership
from app.runtime import Runtime
from app.slack.event_door import run_event


def _record(
    context: BoltContext, body: dict[str, Any], event: dict[str, Any], member: bool, private: bool
) -> None:
    """Record the bot's membership of the event's channel."""
    team_id, channel = str(body.get("team_id") or ""), str(event.get("channel") or "")
    if not team_id or not channel:
        return
    # Setting the same flag twice changes nothing: Slack's retries need no dedupe.
    run_event(
        context,
        lambda session, now: set_bot_membership(session, team_id, channel, now, member, private),
    )


def register(app: App, runtime: Runtime) -> None:
    """Attach the bot-membership listeners."""

    @app.event("member_joined_channel")
    def joined(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        ack()
        # Slack tells the bot of everyone who joins its channels; only its own joins matter here.
        if context.bot_user_id and event.get("user") == context.bot_user_id:
            _record(context, body, event, True, event.get("channel_type") == "G")

    @app.event("channel_left")
    @app.event("group_left")
    def left(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        ack()
        # A group is a private channel.
        _record(context, body, event, False, event.get("type") == "group_left")
