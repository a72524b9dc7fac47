"""Buttons on nudge DMs: "Keep it open", "Remind me tomorrow", "Resolved, thank them", and the
offer check's answers."""

from __future__ import annotations

from slack_bolt import App

from app.nudges import blocks, choices, offer_checks
from app.runtime import Runtime
from app.slack.listeners.wiring import on_buttons


def register(app: App, runtime: Runtime) -> None:
    """Attach the nudge button listeners."""
    on_buttons(
        app,
        {
            blocks.KEEP: choices.keep_open,
            blocks.SNOOZE: choices.snooze,
            blocks.THANK: choices.thank_answerers,
            blocks.OFFERS_KEEP: offer_checks.keep_offers,
            blocks.OFFERS_DROP: offer_checks.drop_offers,
        },
    )
