"""`/kudos`: parse, call the kudos domain, answer ephemerally (or open the give-kudos modal)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from app.kudos import blocks, command
from app.runtime import Runtime
from app.slack.observe import reply_outcome, report
from app.slack.replies import FORM_FAILED, TRY_AGAIN
from app.slackapi.payloads import SlashCommand
from app.store.db import transaction
from app.store.models import Workspace

log = logging.getLogger(__name__)

SETTINGS_FAILED = "I couldn't open the settings form in time. Please try `/kudos settings` again."


def register(app: App, runtime: Runtime) -> None:
    """Attach the `/kudos` command listener."""

    @app.command("/kudos")
    def kudos(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        slash = SlashCommand.from_payload(body)
        try:
            with transaction(runtime.sessions) as session:
                outcome = command.handle(session, runtime.lookup, slash, runtime.clock.now())
                if isinstance(outcome, command.OpenModal):
                    values = list(session.get_one(Workspace, slash.team_id).kudos_values)
        except SQLAlchemyError:
            log.exception("/kudos failed on the database")
            report(context, "error")
            ack(text=TRY_AGAIN)
            return
        # Acked only after the commit: an acknowledged kudos is never lost.
        if isinstance(outcome, command.OpenSettings):
            answer = open_view(client, slash.trigger_id, outcome.view, SETTINGS_FAILED)
            report(context, "error" if answer else "form")
            ack(**answer)
            return
        if isinstance(outcome, command.OpenModal):
            answer = open_modal(
                client,
                slash.trigger_id,
                values,
                {
                    "channel_id": slash.channel_id,
                    "in_dm": slash.in_dm,
                    "response_url": slash.response_url,
                },
            )
            # A non-empty answer is the apology for a form that did not open.
            report(context, "error" if answer else "form")
            ack(**answer)
            return
        report(context, reply_outcome(outcome))
        ack(**outcome.as_ack())


def open_modal(
    client: WebClient,
    trigger_id: str | None,
    values: list[str],
    metadata: dict[str, Any],
    recipients: tuple[str, ...] = (),
    message: str = "",
) -> dict[str, Any]:
    """Open the give-kudos modal (its trigger lasts 3 s); return what to ack with."""
    view = blocks.modal(
        values=values, private_metadata=metadata, recipients=recipients, message=message
    )
    return open_view(client, trigger_id, view, FORM_FAILED)


def open_view(
    client: WebClient, trigger_id: str | None, view: dict[str, Any], failed: str
) -> dict[str, Any]:
    """Open `view` as a modal (its trigger lasts 3 s); return what to ack with, `failed` if not."""
    try:
        client.views_open(trigger_id=trigger_id or "", view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        return {"text": failed}
    return {}
