"""`/ask`: parse, call the asks domain (record and post the ask, or open its form), answer."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from app.asks import command
from app.runtime import Runtime
from app.slack.answers import answer_command
from app.slack.door import door
from app.slackapi.payloads import SlashCommand


def register(app: App, runtime: Runtime) -> None:
    """Attach the `/ask` command listener."""

    @app.command("/ask")
    def ask(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        slash = SlashCommand.from_payload(body)
        outcome = door(context).run(
            lambda session, now: command.handle(session, runtime.lookup, slash, now)
        )
        answer_command(ack, context, client, outcome, slash.trigger_id)
