"""Buttons on a suggested introduction: "Introduce them" and "No thanks"."""

from __future__ import annotations

from slack_bolt import App

from app.intros import suggestion_answers as answers
from app.intros import suggestion_blocks as blocks
from app.runtime import Runtime
from app.slack.listeners.wiring import on_buttons


def register(app: App, runtime: Runtime) -> None:
    """Attach the suggested-introduction button listeners."""
    on_buttons(app, {blocks.INTRODUCE: answers.introduce, blocks.DISMISS: answers.dismiss})
