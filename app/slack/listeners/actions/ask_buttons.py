"""Buttons on an ask and its DMs: I can help, Resolved, Still need help, Close, Stop these."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from app.asks import blocks, service
from app.delivery import outbox
from app.offers import service as offers
from app.runtime import Runtime
from app.store.db import transaction

log = logging.getLogger(__name__)


def ids_of(body: dict[str, Any], action: dict[str, Any]) -> tuple[str, str, int | None]:
    """The team, the acting user and the ask id a button names (None if it names none)."""
    value = str(action.get("value") or "")
    # The acting user comes from Slack's envelope; the value only names the ask.
    return (
        str(body.get("team", {}).get("id") or ""),
        str(body.get("user", {}).get("id") or ""),
        int(value) if value.isdigit() else None,
    )


def tell(
    session: Session, runtime: Runtime, team_id: str, body: dict[str, Any], user_id: str, text: str
) -> None:
    """Answer the person who clicked: ephemerally where they clicked, else by DM."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    key = f"ask-answer:{user_id}:{(body.get('actions') or [{}])[0].get('action_ts', '')}"
    if channel:
        outbox.queue(
            session,
            team_id=team_id,
            method="chat.postEphemeral",
            args={"channel": channel, "user": user_id, "text": text},
            dedupe_key=key,
            now=runtime.clock.now(),
        )
    else:
        outbox.queue(
            session,
            team_id=team_id,
            method="dm",
            args={"user": user_id, "text": text},
            dedupe_key=key,
            now=runtime.clock.now(),
        )


def on_ask(runtime: Runtime, change: Callable[..., str]) -> Callable[..., None]:
    """A button listener that applies `change(session, team, ask_id, user, now)` to the ask the
    button names, as the person who clicked, and tells them the outcome."""

    def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        team_id, user_id, ask_id = ids_of(body, action)
        if ask_id is None:
            return
        with transaction(runtime.sessions) as session:
            text = change(session, team_id, ask_id, user_id, runtime.clock.now())
            tell(session, runtime, team_id, body, user_id, text)

    return listener


def register(app: App, runtime: Runtime) -> None:
    """Attach the ask button listeners."""
    app.action(blocks.CLAIM)(on_ask(runtime, service.claim))
    app.action(blocks.CLOSE)(on_ask(runtime, service.close))
    app.action(blocks.REOPEN)(on_ask(runtime, service.reopen))

    @app.action(blocks.STOP_MATCHES)
    def stop(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        team_id, user_id, _ = ids_of(body, action)
        with transaction(runtime.sessions) as session:
            tell(
                session,
                runtime,
                team_id,
                body,
                user_id,
                offers.stop_matches(session, team_id, user_id),
            )

    @app.action(blocks.RESOLVE)
    def resolve(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id, ask_id = ids_of(body, action)
        if ask_id is None:
            return
        with transaction(runtime.sessions) as session:
            ask = service.find(session, team_id, ask_id)
            refusal = None
            if ask is None or ask.status not in service.LIVE:
                refusal = "That ask is no longer open."
            elif ask.asker_id != user_id:
                refusal = "Only the person who asked can resolve it."
            if refusal is not None or ask is None:
                tell(session, runtime, team_id, body, user_id, refusal or "")
                return
            view = blocks.resolve_modal(ask, service.helper_candidates(ask))
        try:
            client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except SlackApiError as exc:
            log.warning("views.open for resolve failed: %s", exc.response.get("error"))
