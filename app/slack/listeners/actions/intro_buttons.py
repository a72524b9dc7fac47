"""Buttons on an introduction's invitation: "Happy to connect" and "Not now"."""

from __future__ import annotations

from slack_bolt import App

from app.intros import answers, blocks
from app.runtime import Runtime
from app.slack.listeners.wiring import on_buttons


def register(app: App, runtime: Runtime) -> None:
    """Attach the introduction button listeners."""
    on_buttons(app, {blocks.ACCEPT: answers.accept, blocks.DECLINE: answers.decline})
