"""The app lost access to a workspace: `app_uninstalled`, `tokens_revoked`."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.context.ack import Ack

from app.runtime import Runtime
from app.slack.event_door import run_event
from app.workspaces.service import deactivate


def _lose_access(runtime: Runtime, context: BoltContext, team_id: str) -> None:
    """Mark the workspace inactive and drop the tokens that no longer work."""
    # Deactivating twice is harmless, so Slack's retries need no dedupe here.
    run_event(context, lambda session, now: deactivate(session, team_id, now))
    if runtime.installations is not None:
        # The stored tokens no longer work: drop them; a reinstall stores new ones.
        runtime.installations.delete_installation(enterprise_id=None, team_id=team_id)
        runtime.installations.delete_bot(enterprise_id=None, team_id=team_id)
    forget = getattr(runtime.tokens, "forget", None)
    if forget is not None:
        forget(team_id)


def register(app: App, runtime: Runtime) -> None:
    """Mark a workspace inactive when Slack says the app lost access to it."""

    @app.event("app_uninstalled")
    def app_uninstalled(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        _lose_access(runtime, context, str(body.get("team_id", "")))
        ack()

    @app.event("tokens_revoked")
    def tokens_revoked(
        ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext
    ) -> None:
        # Revoked user tokens leave the bot working; only a revoked bot token stops delivery.
        if event.get("tokens", {}).get("bot"):
            _lose_access(runtime, context, str(body.get("team_id", "")))
        ack()
