"""`/ask …`: from a slash command (or the ask modal) to a recorded, posted ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.asks import coach, service
from app.directory.slack_lookup import SlackLookup
from app.kudos.command import where_for
from app.permalinks import permalink
from app.slackapi.mrkdwn import escape, unescape
from app.slackapi.outcomes import Reply
from app.slackapi.payloads import Conversation, SlashCommand
from app.store.models import Workspace

MIN_WORDS = 3
HELP = (
    "*Ask for specific help:* `/ask How do I rotate the staging DB password? Tried the runbook, "
    "step 3 fails. Need it by Friday #postgres`\n"
    "Say what you need, what you tried, and by when; add `#topics` so the right people see it. "
    "`/ask` alone opens a form that helps."
)


@dataclass(frozen=True)
class OpenAskModal:
    """No text was typed: the listener opens the ask form."""


def origin_for(
    session: Session,
    lookup: SlackLookup,
    team_id: str,
    channel_id: str,
    in_dm: bool,
    now: datetime,
) -> Conversation:
    """Where the ask was typed and how private that place is."""
    where = where_for(session, lookup, team_id, channel_id, in_dm, now)
    return Conversation(where.channel_id, where.is_private, where.is_dm, where.bot_is_member)


def handle(
    session: Session, lookup: SlackLookup, command: SlashCommand, now: datetime
) -> Reply | OpenAskModal:
    """Run one `/ask`: record and post it, or say how to ask well."""
    text = command.text.strip()
    if not text:
        return OpenAskModal()
    if text.lower() == "help":
        return Reply(HELP)
    if len(text.split()) < MIN_WORDS:
        return Reply("That's a little short for people to help with. " + HELP, refused=True)
    if len(text) > service.MAX_ASK:
        return Reply(
            f"That ask is longer than {service.MAX_ASK} characters; trim it and link to "
            "the details.",
            refused=True,
        )
    origin = origin_for(session, lookup, command.team_id, command.channel_id, command.in_dm, now)
    ask = service.create(
        session,
        command.team_id,
        command.user_id,
        text,
        origin,
        now,
        response_url=command.response_url,
    )
    domain = session.get_one(Workspace, command.team_id).domain
    found = coach.similar(session, command.team_id, text)
    return Reply(confirmation(ask.id, origin) + suggestions(found, domain))


def suggestions(found: list[coach.Similar], domain: str | None) -> str:
    """The coach's lines under the confirmation (empty when nothing similar was resolved)."""
    if not found:
        return ""
    lines = [
        f"• <{permalink(domain, s.channel_id, s.message_ts)}|"
        f"{escape(unescape(s.text.splitlines()[0]))[:80]}>"
        for s in found
    ]
    return "\n\nAnswered before; one of these may already help:\n" + "\n".join(lines)


def confirmation(ask_id: int, origin: Conversation) -> str:
    """What the asker is told once their ask is recorded."""
    if origin.is_dm:
        return (
            f"Ask #{ask_id} is saved. It came from a private conversation, so I won't post "
            "it anywhere public."
        )
    if origin.is_private and not origin.bot_is_member:
        return (
            f"Ask #{ask_id} is saved, but I'm not in this private channel: invite me with "
            "`/invite @Reciprocity` so I can post it here."
        )
    return f"Ask #{ask_id} is posted. I'll follow the thread and let you know when someone helps."
