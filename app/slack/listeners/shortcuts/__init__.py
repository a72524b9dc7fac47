"""Message shortcuts."""

from __future__ import annotations

from slack_bolt import App

from app.runtime import Runtime
from app.slack.listeners.shortcuts import give_kudos


def register(app: App, runtime: Runtime) -> None:
    """Attach the shortcut listeners."""
    give_kudos.register(app, runtime)
