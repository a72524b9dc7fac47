"""`/offer`: parse, call the offers domain, answer ephemerally."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy.exc import SQLAlchemyError

from app.offers import command
from app.runtime import Runtime
from app.slack.observe import reply_outcome, report
from app.slack.replies import TRY_AGAIN
from app.slackapi.commands import SlashCommand
from app.store.db import transaction

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    """Attach the `/offer` command listener."""

    @app.command("/offer")
    def offer(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        slash = SlashCommand.from_payload(body)
        try:
            with transaction(runtime.sessions) as session:
                reply = command.handle(session, slash, runtime.clock.now())
        except SQLAlchemyError:
            log.exception("/offer failed on the database")
            report(context, "error")
            ack(text=TRY_AGAIN)
            return
        report(context, reply_outcome(reply))
        ack(**reply.as_ack())
