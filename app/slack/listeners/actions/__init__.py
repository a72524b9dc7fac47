"""Button clicks (block actions)."""

from __future__ import annotations

from slack_bolt import App

from app.runtime import Runtime
from app.slack.listeners.actions import (
    ask_buttons,
    ask_coach,
    home_buttons,
    insights_buttons,
    intro_buttons,
    intro_suggestion_buttons,
    kudos_undo,
    nudge_buttons,
)


def register(app: App, runtime: Runtime) -> None:
    """Attach the block-action listeners."""
    for buttons in (
        kudos_undo,
        ask_buttons,
        ask_coach,
        home_buttons,
        insights_buttons,
        nudge_buttons,
        intro_buttons,
        intro_suggestion_buttons,
    ):
        buttons.register(app, runtime)
