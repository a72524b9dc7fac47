"""The workspace settings form was submitted: re-check the admin, validate, save or show errors."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.directory.slack_lookup import SlackLookup
from app.runtime import Runtime
from app.slack.replies import TRY_AGAIN
from app.store.db import transaction
from app.workspaces import settings_form

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    """Attach the workspace settings form's submission listener."""

    @app.view(settings_form.CALLBACK)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        team_id = str(body.get("team", {}).get("id") or body.get("user", {}).get("team_id"))
        # Who submits is who Slack says; the form could have been opened, or forged, by anyone.
        user_id = str(body.get("user", {}).get("id") or "")
        values = view.get("state", {}).get("values", {})
        try:
            with transaction(runtime.sessions) as session:
                answer = _save(
                    session, runtime.lookup, team_id, user_id, values, runtime.clock.now()
                )
        except SQLAlchemyError:
            log.exception("the settings form failed on the database")
            # Any field of the form can carry the message; the time zone is always there.
            ack(response_action="errors", errors={"timezone": TRY_AGAIN})
            return
        ack(**answer)


def _save(
    session: Session,
    lookup: SlackLookup,
    team_id: str,
    user_id: str,
    values: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Apply the submitted settings if `user_id` is an admin; return what to ack with."""
    member = lookup.member(session, team_id, user_id, now)
    if member is None or not member.is_admin:
        log.warning("settings form from %s in %s refused: not an admin", user_id, team_id)
        return {"response_action": "update", "view": settings_form.refused_modal()}
    change = settings_form.read_submission(values)
    if not isinstance(change, settings_form.SettingsChange):
        return {"response_action": "errors", "errors": change}
    settings_form.apply(session, team_id, change)
    log.info("workspace %s settings changed by %s", team_id, user_id)
    return {}
