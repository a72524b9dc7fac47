"""Thin Bolt listeners, one module per listener, grouped by kind; `register` wires them all."""

from __future__ import annotations

from slack_bolt import App

from app.runtime import Runtime
from app.slack.listeners import events


def register(app: App, runtime: Runtime) -> None:
    """Attach every listener to `app`."""
    events.register(app, runtime)
