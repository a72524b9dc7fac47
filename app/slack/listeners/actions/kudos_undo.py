"""The Undo button on a kudos confirmation: parse the click, undo through the kudos domain."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from app.kudos import blocks, withdrawal
from app.runtime import Runtime
from app.slack.answers import run_click
from app.slackapi.payloads import Click


def register(app: App, runtime: Runtime) -> None:
    """Attach the undo listener."""

    @app.action(blocks.UNDO_ACTION)
    def undo(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        # The answer replaces the confirmation the button sits on.
        url = body.get("response_url")
        run_click(
            context,
            client,
            Click.from_payload(body, action),
            lambda session, click, now: withdrawal.undo_clicked(session, click, url, now),
        )
