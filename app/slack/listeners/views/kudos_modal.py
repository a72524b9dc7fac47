"""The give-kudos form was submitted: parse, give through the kudos domain, close or say why not."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from app.kudos import blocks, form
from app.runtime import Runtime
from app.slack.answers import answer_view
from app.slack.door import door
from app.slackapi.payloads import Submission


def register(app: App, runtime: Runtime) -> None:
    """Attach the give-kudos form's submission listener."""

    @app.view(blocks.MODAL_CALLBACK)
    def submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
    ) -> None:
        submission = Submission.from_payload(body, view)
        outcome = door(context).run(
            lambda session, now: form.submitted(session, runtime.lookup, submission, now)
        )
        # Nothing typed is lost when the database is down: the message shows beside the text.
        answer_view(ack, context, outcome, blocks.MESSAGE_BLOCK)
