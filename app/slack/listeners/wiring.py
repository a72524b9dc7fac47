"""The one shape of a thin listener, per surface: parse the payload, run the use case through
the request's door, answer its outcome. Each kind's `register` attaches use cases with these."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from app.slack.answers import ClickUseCase, answer_command, answer_view, run_click
from app.slack.door import door
from app.slackapi.outcomes import Outcome
from app.slackapi.payloads import Click, SlashCommand, Submission

CommandUseCase = Callable[[Session, SlashCommand, datetime], Outcome]
FormUseCase = Callable[[Session, Submission, datetime], Outcome]


def on_command(app: App, name: str, use_case: CommandUseCase) -> None:
    """Attach slash command `name`: its outcome is the ack (a reply, a refusal, a form)."""

    @app.command(name)
    def command(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        slash = SlashCommand.from_payload(body)
        outcome = door(context).run(lambda session, now: use_case(session, slash, now))
        answer_command(ack, context, client, outcome, slash.trigger_id)


def on_form(app: App, callback_id: str, field: str, use_case: FormUseCase) -> None:
    """Attach the submission of form `callback_id`: it closes, or shows errors (beside `field`
    when they name no block of their own) and keeps what was typed."""

    @app.view(callback_id)
    def submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
    ) -> None:
        form = Submission.from_payload(body, view)
        outcome = door(context).run(lambda session, now: use_case(session, form, now))
        answer_view(ack, context, outcome, field)


def on_buttons(app: App, buttons: Mapping[str, ClickUseCase]) -> None:
    """Attach each button (by action id): ack at once, then run its use case as the clicker."""
    for action_id, use_case in buttons.items():
        app.action(action_id)(on_click(use_case))


def on_click(use_case: ClickUseCase) -> Callable[..., None]:
    """A button listener that acks, then runs `use_case` as the person who clicked."""

    def clicked(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        run_click(context, client, Click.from_payload(body, action), use_case)

    return clicked
