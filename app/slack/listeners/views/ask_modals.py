"""The ask form and the resolve-with-credit form: parse, call the asks domain, answer."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from app.asks import blocks, command, resolution
from app.runtime import Runtime
from app.slack.answers import answer_view
from app.slack.door import door
from app.slackapi.payloads import Submission


def register(app: App, runtime: Runtime) -> None:
    """Attach the ask modal listeners."""

    @app.view(blocks.COMPOSE_CALLBACK)
    def composed(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
    ) -> None:
        form = Submission.from_payload(body, view)
        outcome = door(context).run(
            lambda session, now: command.submit_form(session, runtime.lookup, form, now)
        )
        answer_view(ack, context, outcome, blocks.COMPOSE_BLOCK)

    @app.view(blocks.RESOLVE_CALLBACK)
    def resolved(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
    ) -> None:
        # Authorisation is the submitting user against the ask's asker, never the metadata.
        form = Submission.from_payload(body, view)
        outcome = door(context).run(lambda session, now: resolution.submit_form(session, form, now))
        answer_view(ack, context, outcome, resolution.HELPERS_BLOCK)
