"""One mapping from a use case's outcome to Slack's answer, per surface: command, form, click.

Database failures (`UNAVAILABLE`) and refusals are answered here and nowhere else: a command
gets an ephemeral apology, a form keeps what was typed and shows the message beside a field, a
click gets an ephemeral note where it happened (a DM when it happened on a Home tab or modal).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.slack.door import Unavailable, door
from app.slack.observe import report
from app.slack.replies import TRY_AGAIN
from app.slackapi.outcomes import FormErrors, OpenView, Outcome, Refusal, Reply
from app.slackapi.payloads import Click

log = logging.getLogger(__name__)

ClickUseCase = Callable[[Session, Click, datetime], Outcome]


def answer_command(
    ack: Ack,
    context: BoltContext,
    client: WebClient,
    outcome: Outcome | Unavailable,
    trigger_id: str | None,
) -> None:
    """Ack a slash command (or shortcut) with `outcome`: a reply, a refusal, or a form to open
    with `trigger_id`."""
    if isinstance(outcome, Unavailable):
        report(context, "error")
        ack(text=TRY_AGAIN)
    elif isinstance(outcome, OpenView):
        opened = open_view(client, trigger_id, outcome)
        report(context, "form" if opened else "error")
        ack(text="" if opened else outcome.apology)
    elif isinstance(outcome, Reply):
        report(context, "refused" if outcome.refused else "ok")
        ack(**outcome.as_ack())
    elif isinstance(outcome, Refusal):
        report(context, "refused")
        ack(text=outcome.text)
    elif isinstance(outcome, FormErrors):
        report(context, "refused")
        ack(text=" ".join(outcome.errors.values()))
    else:
        ack()


def answer_view(ack: Ack, context: BoltContext, outcome: Outcome | Unavailable, field: str) -> None:
    """Answer a form's submission: close it, or keep it open with messages (beside `field` unless
    the outcome names its own), so nothing the person typed is lost."""
    errors: dict[str, str] = {}
    if isinstance(outcome, Unavailable):
        report(context, "error")
        errors = {field: TRY_AGAIN}
    elif isinstance(outcome, FormErrors):
        errors = dict(outcome.errors)
    elif isinstance(outcome, Refusal):
        errors = {outcome.field or field: outcome.text}
    elif isinstance(outcome, Reply) and outcome.refused:
        errors = {field: outcome.text}
    if errors:
        if not isinstance(outcome, Unavailable):
            report(context, "refused")
        # Slack shows at most 150 characters of an inline error.
        ack(response_action="errors", errors={k: v[:150] for k, v in errors.items()})
        return
    ack()


def run_click(
    context: BoltContext, client: WebClient, click: Click, use_case: ClickUseCase
) -> Outcome | Unavailable:
    """Run a button's use case (already acked); its note to the person is queued in the same
    transaction, and a form it asks for is opened with the click's trigger."""

    def unit(session: Session, now: datetime) -> Outcome:
        outcome = use_case(session, click, now)
        if isinstance(outcome, Reply | Refusal) and outcome.text:
            tell(session, click, outcome.text, now)
        return outcome

    outcome = door(context).run(unit)
    if isinstance(outcome, Unavailable):
        # The click was acknowledged already; the log and the metrics say what was lost.
        report(context, "error")
    elif isinstance(outcome, OpenView):
        report(context, "form")
        open_view(client, click.trigger_id, outcome)
    elif isinstance(outcome, Refusal):
        report(context, "refused")
    return outcome


def tell(session: Session, click: Click, text: str, now: datetime) -> None:
    """Queue a note to whoever clicked: ephemeral where they clicked, else by DM."""
    key = f"click-answer:{click.user_id}:{click.action_ts}"
    if click.channel_id:
        args = {"channel": click.channel_id, "user": click.user_id, "text": text}
        outbox.queue(
            session,
            team_id=click.team_id,
            method="chat.postEphemeral",
            args=args,
            dedupe_key=key,
            now=now,
        )
    else:
        outbox.queue(
            session,
            team_id=click.team_id,
            method="dm",
            args={"user": click.user_id, "text": text},
            dedupe_key=key,
            now=now,
        )


def open_view(client: WebClient, trigger_id: str | None, outcome: OpenView) -> bool:
    """Open the outcome's modal with `trigger_id` (valid for 3 s); False if Slack refused."""
    try:
        client.views_open(trigger_id=trigger_id or "", view=outcome.view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        return False
    return True
