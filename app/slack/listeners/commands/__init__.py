"""Slash commands: `/kudos`, `/ask`, `/offer`."""

from __future__ import annotations

from slack_bolt import App

from app.runtime import Runtime
from app.slack.listeners.commands import ask, kudos, offer


def register(app: App, runtime: Runtime) -> None:
    """Attach the slash-command listeners."""
    kudos.register(app, runtime)
    offer.register(app, runtime)
    ask.register(app, runtime)
