"""`/offer …`: volunteer topics, list or withdraw yours, and ask who offered a topic."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from app.offers import service
from app.offers.topics import MAX_TOPIC
from app.slackapi.mrkdwn import escape, render_inert
from app.slackapi.outcomes import Refusal, Reply
from app.slackapi.payloads import SlashCommand

HELP = (
    "*Offer help:* `/offer kubernetes, postgres — happy to pair on upgrades`\n"
    "*Yours:* `/offer list`   *Withdraw:* `/offer remove kubernetes`\n"
    "*Who knows:* `/offer who kubernetes`"
)
# The note follows an em dash, an en dash, " -- " or " - ".
_NOTE = re.compile(r"\s+(?:—|–|--|-)\s+|^(?:—|–|--)\s*")
MAX_NOTE = 300
MAX_TOPICS = 10
WHO_LIMIT = 20


class OfferRefused(StrEnum):
    """Why an offer was not recorded or withdrawn."""

    NO_TOPIC = "no_topic"
    TOO_MANY = "too_many"
    TOPIC_TOO_LONG = "topic_too_long"
    NOTE_TOO_LONG = "note_too_long"
    NOT_OFFERED = "not_offered"


def _show(topic: str) -> str:
    return f"`{escape(topic)}`"


def handle(session: Session, command: SlashCommand, now: datetime) -> Reply | Refusal:
    """Run one `/offer` command and return the ephemeral reply."""
    text = command.text.strip()
    word, _, rest = text.partition(" ")
    sub = word.lower()
    if not text or sub == "help":
        return Reply(HELP)
    if sub == "list":
        offers = service.mine(session, command.team_id, command.user_id)
        if not offers:
            return Reply("You haven't offered help on anything yet. " + HELP.splitlines()[0])
        lines = [
            f"• {_show(o.topic)}" + (f": {render_inert(o.note)}" if o.note else "") for o in offers
        ]
        return Reply("*You offer help with*\n" + "\n".join(lines))
    if sub == "remove":
        if not rest.strip():
            return Refusal(
                OfferRefused.NO_TOPIC, "Say which topic to withdraw: `/offer remove kubernetes`"
            )
        removed = service.remove(session, command.team_id, command.user_id, rest, now)
        if removed is None:
            return Refusal(
                OfferRefused.NOT_OFFERED,
                f"You haven't offered {_show(rest.strip())}; `/offer list` shows yours.",
            )
        return Reply(f"Withdrawn: {_show(removed)}. Thanks for having offered it!")
    if sub == "who":
        if not rest.strip():
            return Refusal(OfferRefused.NO_TOPIC, "Say which topic: `/offer who kubernetes`")
        topic, offers = service.who(session, command.team_id, rest)
        if not offers:
            return Reply(f"Nobody offers {_show(topic)} yet. Know it? `/offer {topic}`")
        shown = offers[:WHO_LIMIT]
        more = len(offers) - len(shown)
        # An ephemeral answer: the mentions render as names and notify nobody.
        people = ", ".join(f"<@{o.user_id}>" for o in shown)
        tail = f" and {more} more" if more else ""
        return Reply(f"People who offer {_show(topic)}: {people}{tail}")
    return _add(session, command, text, now)


def _add(session: Session, command: SlashCommand, text: str, now: datetime) -> Reply | Refusal:
    parts = _NOTE.split(text, maxsplit=1)
    topics_text, note = (parts[0], parts[1].strip()) if len(parts) == 2 else (text, "")
    return add_offer(session, command.team_id, command.user_id, topics_text, note, now)


def add_offer(
    session: Session, team_id: str, user_id: str, topics_text: str, note: str, now: datetime
) -> Reply | Refusal:
    """Offer help on comma-separated `topics_text`; say what was recorded, or why not."""
    topics = [t for t in (piece.strip() for piece in topics_text.split(",")) if t]
    refused = _check(topics, note)
    if refused is not None:
        return refused
    added = service.add(session, team_id, user_id, topics, note, now)
    if not added:
        return Refusal(
            OfferRefused.NO_TOPIC, "I couldn't read a topic there. " + HELP.splitlines()[0]
        )
    return Reply(
        "Thanks! You now offer help with "
        + ", ".join(_show(t) for t in added)
        + ". Asks on these topics will find you."
    )


def _check(topics: list[str], note: str) -> Refusal | None:
    """Why these topics and note cannot be offered, or None when they can."""
    if not topics:
        return Refusal(
            OfferRefused.NO_TOPIC,
            "Name a topic before the note: `/offer kubernetes — happy to help`",
        )
    if len(topics) > MAX_TOPICS:
        return Refusal(
            OfferRefused.TOO_MANY,
            f"That's {len(topics)} topics; offer at most {MAX_TOPICS} at a time.",
        )
    if any(len(t) > MAX_TOPIC for t in topics):
        return Refusal(
            OfferRefused.TOPIC_TOO_LONG,
            f"Topics are short names (up to {MAX_TOPIC} characters), separated by "
            "commas; put details in the note after a dash.",
        )
    if len(note) > MAX_NOTE:
        return Refusal(
            OfferRefused.NOTE_TOO_LONG,
            f"The note is longer than {MAX_NOTE} characters; shorten it.",
        )
    return None
