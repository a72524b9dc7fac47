"""The Undo button on a kudos confirmation: its answer replaces the confirmation it sits on."""

from __future__ import annotations

from slack_bolt import App

from app.kudos import blocks, withdrawal
from app.runtime import Runtime
from app.slack.listeners.wiring import on_buttons


def register(app: App, runtime: Runtime) -> None:
    """Attach the undo listener."""
    on_buttons(app, {blocks.UNDO_ACTION: withdrawal.undo_clicked})
