"""Kudos by emoji reaction: a configured reaction on someone's message thanks its author.

A reaction's identity is (reactor, channel, message ts); each add of it is one event, told apart
by its `event_ts`. So a reaction removed and added again thanks again, while Slack's retries of
one add (the same `event_id`, or the same add resent under a new `event_id`) thank once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.directory.slack_lookup import SlackLookup
from app.events import first_delivery
from app.kudos.giving import give_kudos
from app.kudos.request import KudosRequest
from app.kudos.withdrawal import live_reaction_kudos, withdraw_reaction
from app.slackapi.outcomes import Done, Refusal
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


@dataclass(frozen=True)
class Reaction:
    """A reaction added or removed, as the Events API tells it."""

    team_id: str
    event_id: str
    # Who reacted, and the emoji without its skin tone ("raised_hands::skin-tone-3" is thanks).
    user: str
    emoji: str
    on_message: bool
    channel: str
    ts: str
    # The author of the message reacted to.
    author: str
    # Tells one add of the same reaction from the next; "" if Slack left it out.
    event_ts: str

    @classmethod
    def from_payload(cls, body: Mapping[str, Any], event: Mapping[str, Any]) -> Reaction:
        """Read a `reaction_added` or `reaction_removed` event and its envelope."""
        item = event.get("item") or {}
        return cls(
            team_id=str(body.get("team_id")),
            event_id=str(body.get("event_id")),
            user=str(event.get("user") or ""),
            emoji=str(event.get("reaction") or "").split("::")[0],
            on_message=item.get("type") == "message",
            channel=str(item.get("channel")),
            ts=str(item.get("ts")),
            author=str(event.get("item_user") or ""),
            event_ts=str(event.get("event_ts") or ""),
        )

    @property
    def identity(self) -> str:
        """The identity of this person's reaction on this message (see `reaction_key`)."""
        return reaction_key(self.user, self.channel, self.ts)


def _first_counted(session: Session, reaction: Reaction, now: datetime) -> Workspace | None:
    """The workspace, when `reaction` is its kudos emoji on a message and this is the first
    delivery of its event; else None."""
    workspace = session.get(Workspace, reaction.team_id)
    emoji = (workspace.reaction_emoji or "").strip(":") if workspace else ""
    if workspace is None or not emoji or reaction.emoji != emoji or not reaction.on_message:
        return None
    if not first_delivery(session, reaction.team_id, reaction.event_id, now):
        return None
    return workspace


def on_reaction_added(
    session: Session, lookup: SlackLookup, reaction: Reaction, now: datetime
) -> Refusal | Done:
    """Give the reactor's kudos to the message's author once; a refusal has nobody to tell."""
    workspace = _first_counted(session, reaction, now)
    if workspace is None or not reaction.user or not reaction.author:
        return Done()
    live = live_reaction_kudos(session, reaction.team_id, reaction.user, reaction.identity)
    key = add_key(reaction.identity, reaction.event_ts)
    if live is not None and live.dedupe_key != key:
        # Still thanked by an earlier add (a second skin tone of the same emoji, or a removal
        # Slack has not sent yet): one reaction is one kudos at a time.
        return Done()
    for user_id in (reaction.user, reaction.author):
        lookup.member(session, reaction.team_id, user_id, now)
    in_dm = reaction.channel.startswith("D")
    request = KudosRequest(
        team_id=reaction.team_id,
        giver_id=reaction.user,
        recipients=(reaction.author,),
        message=f":{(workspace.reaction_emoji or '').strip(':')}: on your message",
        where=lookup.conversation(session, reaction.team_id, reaction.channel, in_dm, now),
        source="reaction",
        dedupe_key=key,
    )
    outcome = give_kudos(session, request, now)
    if isinstance(outcome, Refusal):
        # A reaction has nobody to answer; the refusal is only logged.
        log.info("reaction kudos refused: %s", outcome.reason.value)
        return outcome
    return Done()


def on_reaction_removed(session: Session, reaction: Reaction, now: datetime) -> Done:
    """Withdraw the kudos a removed reaction gave, if it gave one."""
    if _first_counted(session, reaction, now) is None:
        return Done()
    # The same removal resent under a new event_id must not withdraw a later add's kudos.
    removal = f"{reaction.identity}:removed:{reaction.event_ts}"
    if reaction.event_ts and not first_delivery(session, reaction.team_id, removal, now):
        return Done()
    withdraw_reaction(session, reaction.team_id, reaction.user, reaction.identity, now)
    return Done()
