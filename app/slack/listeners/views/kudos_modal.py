"""The give-kudos modal was submitted: validate, give, and tell the giver how it went."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.kudos import blocks, service
from app.kudos.command import where_for
from app.runtime import Runtime
from app.slack.replies import TRY_AGAIN
from app.slackapi.mrkdwn import parse
from app.slackapi.payloads import Conversation, view_metadata
from app.store.db import transaction

log = logging.getLogger(__name__)


def _state(view: dict[str, Any]) -> tuple[list[str], str, str | None]:
    values = view.get("state", {}).get("values", {})
    people = values.get("recipients", {}).get("users", {}).get("selected_users") or []
    text = values.get("message", {}).get("text", {}).get("value") or ""
    option = values.get("value", {}).get("value", {}).get("selected_option") or {}
    return [str(p) for p in people], str(text), option.get("value")


def register(app: App, runtime: Runtime) -> None:
    """Attach the give-kudos modal's submission listener."""

    @app.view(blocks.MODAL_CALLBACK)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        team_id = str(body.get("team", {}).get("id") or body.get("user", {}).get("team_id"))
        # The giver is who Slack says submitted; nothing in the view decides that.
        giver = str(body.get("user", {}).get("id") or "")
        people, text, value = _state(view)
        meta = view_metadata(view)
        channel_id = str(meta.get("channel_id") or "")
        parsed = parse(text)
        now = runtime.clock.now()
        try:
            with transaction(runtime.sessions) as session:
                lookup = runtime.lookup
                # Held so the guards find these people in the session's identity map.
                known = [lookup.member(session, team_id, user, now) for user in (giver, *people)]
                where = where_for(
                    session,
                    lookup,
                    team_id,
                    channel_id,
                    bool(meta.get("in_dm")) or not channel_id,
                    now,
                )
                result = service.give(
                    session,
                    service.KudosRequest(
                        team_id=team_id,
                        giver_id=giver,
                        recipients=tuple(people),
                        message=text,
                        values=tuple(v for v in (value, *parsed.values) if v),
                        where=where,
                        source="modal",
                        response_url=meta.get("response_url"),
                    ),
                    now,
                )
                if isinstance(result, service.Given):
                    _confirm(session, team_id, giver, where, result, now)
                del known
        except SQLAlchemyError:
            log.exception("the kudos modal failed on the database")
            ack(response_action="errors", errors={"message": TRY_AGAIN})
            return
        if isinstance(result, service.Refused):
            block = (
                "message" if result.reason.value in ("no_message", "too_long") else ("recipients")
            )
            ack(response_action="errors", errors={block: blocks.refusal_text(result)[:150]})
            return
        ack()


def _confirm(
    session: Session,
    team_id: str,
    giver: str,
    where: Conversation,
    given: service.Given,
    now: datetime,
) -> None:
    # A modal has no response_url: the confirmation goes through the outbox like any message.
    message = blocks.confirmation(given.kudos_id, given.recipients, given.remaining_today)
    if where.is_dm or (not where.bot_is_member and where.is_private):
        args = {"user": giver, **message}
        method: outbox.Method = "dm"
    else:
        args = {"channel": where.channel_id, "user": giver, **message}
        method = "chat.postEphemeral"
    outbox.queue(
        session,
        team_id=team_id,
        method=method,
        args=args,
        dedupe_key=f"kudos:{given.kudos_id}:confirm",
        now=now,
    )
