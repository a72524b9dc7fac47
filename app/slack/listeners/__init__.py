"""Thin Bolt listeners, one module per listener, grouped by kind; `register` wires them all."""

from __future__ import annotations

from slack_bolt import App

from app.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    """Attach every listener to `app`."""
    # Each feature package adds its `register(app, runtime)` call here.
    del app, runtime
