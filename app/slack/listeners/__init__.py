"""Thin Bolt listeners, one module per listener, grouped by kind; `register` wires them all."""

from __future__ import annotations

from slack_bolt import App

from app.runtime import Runtime
from app.slack.door import DoorMiddleware
from app.slack.listeners import actions, commands, events, shortcuts, views
from app.slack.observe import Admit


def register(app: App, runtime: Runtime) -> None:
    """Attach every listener to `app`, after the middleware that marks admitted requests and
    gives each its door into the domain."""
    app.use(Admit())
    app.use(DoorMiddleware(runtime))
    for kind in (commands, actions, views, shortcuts, events):
        kind.register(app, runtime)
