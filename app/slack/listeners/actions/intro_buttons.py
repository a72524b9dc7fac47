"""Buttons on introductions: the invitation's "Happy to connect" and "Not now", and the
follow-up's "Thank <connector>" and "Not really"."""

from __future__ import annotations

from slack_bolt import App

from app.intros import answers, blocks, thanks
from app.runtime import Runtime
from app.slack.listeners.wiring import on_buttons


def register(app: App, runtime: Runtime) -> None:
    """Attach the introduction button listeners."""
    on_buttons(
        app,
        {
            blocks.ACCEPT: answers.accept,
            blocks.DECLINE: answers.decline,
            blocks.THANK: thanks.thank,
            blocks.NOT_REALLY: thanks.not_really,
        },
    )
