"""`app_home_opened`: publish the person's Home tab (through the outbox, rendered when sent)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from app.home import refresh
from app.runtime import Runtime
from app.store.db import transaction


def register(app: App, runtime: Runtime) -> None:
    """Attach the Home tab listener."""

    @app.event("app_home_opened")
    def home_opened(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        ack()
        # The Messages tab fires this too; only the Home tab shows our view.
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        # A retried event finds the publish still pending and adds nothing.
        with transaction(runtime.sessions) as session:
            refresh.opened(
                session, str(body.get("team_id") or ""), str(event["user"]), runtime.clock.now()
            )
