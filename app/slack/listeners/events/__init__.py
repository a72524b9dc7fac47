"""Events API listeners: app lifecycle, member directory, bot membership, kudos by reaction,
ask threads."""

from __future__ import annotations

from slack_bolt import App

from app.runtime import Runtime
from app.slack.listeners.events import (
    app_home,
    app_lifecycle,
    ask_threads,
    directory,
    membership,
    reactions,
)


def register(app: App, runtime: Runtime) -> None:
    """Attach the event listeners."""
    for events in (app_lifecycle, directory, membership, reactions, ask_threads, app_home):
        events.register(app, runtime)
