"""Kudos by emoji reaction: a configured reaction on someone's message thanks its author.

A reaction's identity is (reactor, channel, message ts); each add of it is one event, told apart
by its `event_ts`. So a reaction removed and added again thanks again, while Slack's retries of
one add (the same `event_id`, or the same add resent under a new `event_id`) thank once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.directory.slack_lookup import SlackLookup
from app.events import first_delivery
from app.kudos import service
from app.kudos.command import where_for
from app.store.models import Workspace

log = logging.getLogger(__name__)


def reaction_key(user: str, channel: str, ts: str) -> str:
    """The identity of one person's reaction on one message, whichever time they added it."""
    return f"reaction:{user}:{channel}:{ts}"


def add_key(identity: str, event_ts: str) -> str:
    """The dedupe key of one add of the reaction `identity` (its `event_ts` tells adds apart)."""
    return f"{identity}:{event_ts}" if event_ts else identity


def identity_of(key: str) -> str:
    """The reaction identity an `add_key` was made from (ids and timestamps hold no colon)."""
    return ":".join(key.split(":")[:4])


def _counts(workspace: Workspace, event: Mapping[str, Any]) -> bool:
    emoji = (workspace.reaction_emoji or "").strip(":")
    # Skin tones arrive as "raised_hands::skin-tone-3": the same thanks.
    reaction = str(event.get("reaction") or "").split("::")[0]
    item = event.get("item") or {}
    return bool(emoji) and reaction == emoji and item.get("type") == "message"


def on_reaction_added(
    session: Session,
    lookup: SlackLookup,
    team_id: str,
    event_id: str,
    event: Mapping[str, Any],
    now: datetime,
) -> service.Given | service.Refused | None:
    """Give the reactor's kudos to the message's author once; None when the event does not count."""
    workspace = session.get(Workspace, team_id)
    if workspace is None or not _counts(workspace, event):
        return None
    if not first_delivery(session, team_id, event_id, now):
        return None
    item = event["item"]
    reactor = str(event.get("user") or "")
    author = str(event.get("item_user") or "")
    if not reactor or not author:
        return None
    identity = reaction_key(reactor, str(item.get("channel")), str(item.get("ts")))
    live = service.live_reaction_kudos(session, team_id, reactor, identity)
    key = add_key(identity, str(event.get("event_ts") or ""))
    if live is not None and live.dedupe_key != key:
        # Still thanked by an earlier add (a second skin tone of the same emoji, or a removal
        # Slack has not sent yet): one reaction is one kudos at a time.
        return None
    for user_id in (reactor, author):
        lookup.member(session, team_id, user_id, now)
    where = where_for(
        session,
        lookup,
        team_id,
        str(item.get("channel")),
        str(item.get("channel", "")).startswith("D"),
        now,
    )
    result = service.give(
        session,
        service.KudosRequest(
            team_id=team_id,
            giver_id=reactor,
            recipients=(author,),
            message=f":{workspace.reaction_emoji.strip(':') if workspace.reaction_emoji else ''}: "
            "on your message",
            where=where,
            source="reaction",
            dedupe_key=key,
        ),
        now,
    )
    if isinstance(result, service.Refused):
        # A reaction has nobody to answer; the refusal is only logged.
        log.info("reaction kudos refused: %s", result.reason.value)
    return result


def on_reaction_removed(
    session: Session, team_id: str, event_id: str, event: Mapping[str, Any], now: datetime
) -> bool:
    """Withdraw the kudos a removed reaction gave; return whether one was withdrawn."""
    workspace = session.get(Workspace, team_id)
    if workspace is None or not _counts(workspace, event):
        return False
    if not first_delivery(session, team_id, event_id, now):
        return False
    item = event["item"]
    reactor = str(event.get("user") or "")
    identity = reaction_key(reactor, str(item.get("channel")), str(item.get("ts")))
    # The same removal resent under a new event_id must not withdraw a later add's kudos.
    removal = f"{identity}:removed:{event.get('event_ts') or ''}"
    if event.get("event_ts") and not first_delivery(session, team_id, removal, now):
        return False
    return service.withdraw_reaction(session, team_id, reactor, identity, now)
