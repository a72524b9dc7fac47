"""Buttons on an ask and its DMs: I can help, Resolved, Still need help, Close, Stop these."""

from __future__ import annotations

from slack_bolt import App

from app.asks import blocks, lifecycle, notify, resolution
from app.runtime import Runtime
from app.slack.listeners.wiring import on_buttons


def register(app: App, runtime: Runtime) -> None:
    """Attach the ask button listeners."""
    on_buttons(
        app,
        {
            blocks.CLAIM: lifecycle.claim,
            blocks.RESOLVE: resolution.open_form,
            blocks.REOPEN: lifecycle.reopen,
            blocks.CLOSE: lifecycle.close,
            blocks.STOP_MATCHES: notify.stop_matches,
        },
    )
