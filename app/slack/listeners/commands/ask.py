"""`/ask`: record and post the ask (or open the ask form) and answer ephemerally."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from app.asks import blocks, command
from app.runtime import Runtime
from app.slack.observe import reply_outcome, report
from app.slack.replies import TRY_AGAIN
from app.slackapi.payloads import SlashCommand
from app.store.db import transaction

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    """Attach the `/ask` command listener."""

    @app.command("/ask")
    def ask(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        slash = SlashCommand.from_payload(body)
        try:
            with transaction(runtime.sessions) as session:
                outcome = command.handle(session, runtime.lookup, slash, runtime.clock.now())
        except SQLAlchemyError:
            log.exception("/ask failed on the database")
            report(context, "error")
            ack(text=TRY_AGAIN)
            return
        if isinstance(outcome, command.OpenAskModal):
            metadata = {
                "channel_id": slash.channel_id,
                "in_dm": slash.in_dm,
                "response_url": slash.response_url,
            }
            try:
                client.views_open(
                    trigger_id=slash.trigger_id or "", view=blocks.compose_modal(metadata)
                )
            except SlackApiError:
                report(context, "error")
                ack(
                    text="I couldn't open the form in time. Try again, or type it out: "
                    "`/ask what you need, what you tried, by when #topic`"
                )
                return
            report(context, "form")
            ack()
            return
        report(context, reply_outcome(outcome))
        ack(**outcome.as_ack())
