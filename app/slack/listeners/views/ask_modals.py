"""The ask form and the resolve-with-credit modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from app.asks import blocks, command, service
from app.delivery import outbox
from app.runtime import Runtime
from app.slackapi.payloads import view_metadata, view_text
from app.store.db import transaction


def register(app: App, runtime: Runtime) -> None:
    """Attach the ask modal listeners."""

    @app.view(blocks.COMPOSE_CALLBACK)
    def composed(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        team_id = str(body.get("team", {}).get("id") or "")
        user_id = str(body.get("user", {}).get("id") or "")
        need = view_text(view, "need")
        if len(need.split()) < command.MIN_WORDS:
            ack(
                response_action="errors",
                errors={"need": "Say a bit more: what exactly do you need?"},
            )
            return
        parts = [need]
        if tried := view_text(view, "tried"):
            parts.append(f"Tried: {tried}")
        if by := view_text(view, "by"):
            parts.append(f"Needed by: {by}")
        if topics := view_text(view, "topics"):
            parts.append(
                " ".join("#" + t.strip().replace(" ", "-") for t in topics.split(",") if t.strip())
            )
        meta = view_metadata(view)
        now = runtime.clock.now()
        with transaction(runtime.sessions) as session:
            origin = command.origin_for(
                session,
                runtime.lookup,
                team_id,
                str(meta.get("channel_id") or ""),
                bool(meta.get("in_dm")) or not meta.get("channel_id"),
                now,
            )
            ask = service.create(
                session,
                team_id,
                user_id,
                "\n".join(parts),
                origin,
                now,
                response_url=meta.get("response_url"),
            )
            outbox.queue(
                session,
                team_id=team_id,
                method="dm",
                args={"user": user_id, "text": command.confirmation(ask.id, origin)},
                dedupe_key=f"ask:{ask.id}:confirm",
                now=now,
            )
        ack()

    @app.view(blocks.RESOLVE_CALLBACK)
    def resolved(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        team_id = str(body.get("team", {}).get("id") or "")
        # Authorisation is the submitting user against the ask's asker, never the metadata.
        user_id = str(body.get("user", {}).get("id") or "")
        ask_id = view_metadata(view).get("ask_id")
        values = view.get("state", {}).get("values", {})
        helpers = values.get("helpers", {}).get("users", {}).get("selected_users") or []
        note = view_text(view, "note")
        if not isinstance(ask_id, int):
            ack(response_action="errors", errors={"helpers": "This form has expired."})
            return
        with transaction(runtime.sessions) as session:
            answer = service.resolve(
                session,
                team_id,
                ask_id,
                user_id,
                [str(h) for h in helpers],
                note,
                runtime.clock.now(),
            )
        if not answer.startswith("Resolved"):
            ack(response_action="errors", errors={"helpers": answer})
            return
        ack()
