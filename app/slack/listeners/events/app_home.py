"""`app_home_opened`: publish the person's Home tab (through the outbox, rendered when sent)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from app.directory import home_tabs
from app.runtime import Runtime
from app.slack.event_door import run_event


def register(app: App, runtime: Runtime) -> None:
    """Attach the Home tab listener."""

    @app.event("app_home_opened")
    def home_opened(
        ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        # The Messages tab fires this too; only the Home tab shows our view.
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        team_id, user_id = str(body.get("team_id") or ""), str(event["user"])
        # A retried event finds the publish still pending and adds nothing.
        run_event(context, lambda session, now: home_tabs.opened(session, team_id, user_id, now))
