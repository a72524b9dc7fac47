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
    app_lifecycle.register(app, runtime)
    directory.register(app, runtime)
    membership.register(app, runtime)
    reactions.register(app, runtime)
    ask_threads.register(app, runtime)
    app_home.register(app, runtime)
