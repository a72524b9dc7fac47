"""`/kudos`: parse, call the kudos domain, answer ephemerally (or open the form it asks for)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from app.kudos import command
from app.runtime import Runtime
from app.slack.answers import answer_command
from app.slack.door import door
from app.slackapi.payloads import SlashCommand


def register(app: App, runtime: Runtime) -> None:
    """Attach the `/kudos` command listener."""

    @app.command("/kudos")
    def kudos(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        slash = SlashCommand.from_payload(body)
        outcome = door(context).run(
            lambda session, now: command.handle(session, runtime.lookup, slash, now)
        )
        answer_command(ack, context, client, outcome, slash.trigger_id)
