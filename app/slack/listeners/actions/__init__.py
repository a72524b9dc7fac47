"""Button clicks (block actions)."""

from __future__ import annotations

from slack_bolt import App

from app.runtime import Runtime
from app.slack.listeners.actions import (
    ask_buttons,
    ask_coach,
    home_buttons,
    kudos_undo,
    nudge_buttons,
)


def register(app: App, runtime: Runtime) -> None:
    """Attach the block-action listeners."""
    kudos_undo.register(app, runtime)
    ask_buttons.register(app, runtime)
    ask_coach.register(app, runtime)
    home_buttons.register(app, runtime)
    nudge_buttons.register(app, runtime)
