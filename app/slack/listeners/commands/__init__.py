"""Slash commands: `/kudos`, `/ask`, `/offer`, `/intro`, each one use case of its domain."""

from __future__ import annotations

from slack_bolt import App

from app.asks import command as ask
from app.intros import command as intro
from app.kudos import command as kudos
from app.offers import command as offer
from app.runtime import Runtime
from app.slack.listeners.wiring import on_command


def register(app: App, runtime: Runtime) -> None:
    """Attach the slash-command listeners."""
    # The lookup is read at each request: the install's tokens are known only after start-up.
    on_command(
        app,
        "/kudos",
        lambda s, slash, now: kudos.handle(
            s, runtime.lookup, slash, now, public_url=runtime.settings.public_url
        ),
    )
    on_command(app, "/offer", offer.handle)
    on_command(app, "/ask", lambda s, slash, now: ask.handle(s, runtime.lookup, slash, now))
    on_command(app, "/intro", lambda s, slash, now: intro.handle(s, runtime.lookup, slash, now))
