"""The "Give kudos for this" message shortcut: the form, prefilled with the author and a link."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from app.kudos import blocks, form
from app.runtime import Runtime
from app.slack.answers import answer_command
from app.slack.door import door
from app.slackapi.payloads import MessageShortcut


def register(app: App, runtime: Runtime) -> None:
    """Attach the message shortcut listener."""

    @app.shortcut(blocks.SHORTCUT_CALLBACK)
    def give_for_message(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        shortcut = MessageShortcut.from_payload(body)
        outcome = door(context).run(lambda session, now: form.for_message(session, shortcut))
        answer_command(ack, context, client, outcome, shortcut.trigger_id)
