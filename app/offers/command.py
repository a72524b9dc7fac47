"""`/offer …`: volunteer topics, list or withdraw yours, and ask who offered a topic."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from app.offers import service
from app.offers.topics import MAX_TOPIC
from app.slackapi.mrkdwn import escape, render_inert
from app.slackapi.outcomes import Reply
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


def _show(topic: str) -> str:
    return f"`{escape(topic)}`"


def handle(session: Session, command: SlashCommand, now: datetime) -> Reply:
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
            return Reply("Say which topic to withdraw: `/offer remove kubernetes`", refused=True)
        removed = service.remove(session, command.team_id, command.user_id, rest, now)
        if removed is None:
            return Reply(
                f"You haven't offered {_show(rest.strip())}; `/offer list` shows yours.",
                refused=True,
            )
        return Reply(f"Withdrawn: {_show(removed)}. Thanks for having offered it!")
    if sub == "who":
        if not rest.strip():
            return Reply("Say which topic: `/offer who kubernetes`", refused=True)
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


def _add(session: Session, command: SlashCommand, text: str, now: datetime) -> Reply:
    parts = _NOTE.split(text, maxsplit=1)
    topics_text, note = (parts[0], parts[1].strip()) if len(parts) == 2 else (text, "")
    return add_offer(session, command.team_id, command.user_id, topics_text, note, now)


def add_offer(
    session: Session, team_id: str, user_id: str, topics_text: str, note: str, now: datetime
) -> Reply:
    """Offer help on comma-separated `topics_text`; say what was recorded, or why not."""
    topics = [t for t in (piece.strip() for piece in topics_text.split(",")) if t]
    if not topics:
        return Reply(
            refused=True, text="Name a topic before the note: `/offer kubernetes — happy to help`"
        )
    if len(topics) > MAX_TOPICS:
        return Reply(
            refused=True, text=f"That's {len(topics)} topics; offer at most {MAX_TOPICS} at a time."
        )
    if any(len(t) > MAX_TOPIC for t in topics):
        return Reply(
            refused=True,
            text=f"Topics are short names (up to {MAX_TOPIC} characters), separated by "
            "commas; put details in the note after a dash.",
        )
    if len(note) > MAX_NOTE:
        return Reply(
            refused=True, text=f"The note is longer than {MAX_NOTE} characters; shorten it."
        )
    added = service.add(session, team_id, user_id, topics, note, now)
    if not added:
        return Reply(refused=True, text="I couldn't read a topic there. " + HELP.splitlines()[0])
    return Reply(
        "Thanks! You now offer help with "
        + ", ".join(_show(t) for t in added)
        + ". Asks on these topics will find you."
    )
