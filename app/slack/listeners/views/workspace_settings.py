"""The workspace settings form was submitted: save it, or show errors, or refuse the form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from app.runtime import Runtime
from app.slack.answers import answer_view
from app.slack.door import door
from app.slack.observe import report
from app.slackapi.outcomes import Refusal
from app.slackapi.payloads import Submission
from app.workspaces import settings_form


def register(app: App, runtime: Runtime) -> None:
    """Attach the workspace settings form's submission listener."""

    @app.view(settings_form.CALLBACK)
    def submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
    ) -> None:
        form = Submission.from_payload(body, view)
        outcome = door(context).run(
            lambda session, now: settings_form.save_settings(session, runtime.lookup, form, now)
        )
        if isinstance(outcome, Refusal):
            # Someone who may not change settings sees why instead of the form.
            report(context, "refused")
            ack(response_action="update", view=settings_form.refused_modal(outcome.text))
            return
        # Any field of the form can carry a database apology; the time zone is always there.
        answer_view(ack, context, outcome, "timezone")
