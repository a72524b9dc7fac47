"""The Undo button on a kudos confirmation: only the giver, only within 10 minutes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.kudos import blocks, service
from app.runtime import Runtime
from app.store.db import transaction


def register(app: App, runtime: Runtime) -> None:
    """Attach the undo listener."""

    @app.action(blocks.UNDO_ACTION)
    def undo(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        value = str(action.get("value") or "")
        if not value.isdigit():
            return
        team_id = str(body.get("team", {}).get("id") or "")
        user_id = str(body.get("user", {}).get("id") or "")
        with transaction(runtime.sessions) as session:
            outcome = service.undo(session, team_id, int(value), user_id, runtime.clock.now())
            if isinstance(outcome, service.Withdrawn):
                text = f"Kudos #{outcome.kudos_id} is withdrawn; everywhere it went now says so."
            else:
                text = outcome
            _tell(session, runtime, team_id, body, text)


def _tell(
    session: Session, runtime: Runtime, team_id: str, body: dict[str, Any], text: str
) -> None:
    # The answer replaces the confirmation the button sits on, through the outbox.
    url = body.get("response_url")
    if not url:
        return
    outbox.queue(
        session,
        team_id=team_id,
        method="response_url",
        args={
            "url": url,
            "payload": {"response_type": "ephemeral", "replace_original": True, "text": text},
        },
        dedupe_key=f"undo:{body.get('actions', [{}])[0].get('action_ts', '')}:{url[-24:]}",
        now=runtime.clock.now(),
    )
