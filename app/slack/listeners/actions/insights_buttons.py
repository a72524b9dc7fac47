"""The insights sign-in buttons: the Home tab's "Open insights", and the link buttons it and
`/kudos insights` show (Slack tells the app of a click on a link too; it only needs an ack)."""

from __future__ import annotations

from slack_bolt import Ack, App

from app.home import blocks
from app.home.insights import open_insights
from app.kudos.insights import LINK_ACTION
from app.runtime import Runtime
from app.slack.listeners.wiring import on_click


def register(app: App, runtime: Runtime) -> None:
    """Attach the insights buttons."""
    app.action(blocks.INSIGHTS)(
        on_click(
            lambda session, click, now: open_insights(
                session, runtime.lookup, click, runtime.settings.public_url, now
            )
        )
    )

    @app.action(LINK_ACTION)
    def opened(ack: Ack) -> None:
        ack()
