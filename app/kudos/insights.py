"""`/kudos insights`: a one-time sign-in link to the insights page, for the person who typed it.

The message and its button are drawn here; the App Home's "Open insights" modal draws the same
(app/home/insights.py), so a person reads one explanation wherever they ask.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.directory.slack_lookup import SlackLookup
from app.signin.handout import HandoutRefused, hand_out
from app.signin.links import LINK_LIFETIME
from app.slackapi.blockkit import Block, section
from app.slackapi.outcomes import Reply
from app.slackapi.payloads import SlashCommand

# Slack sends a click on a link button to the app as well; its listener only acknowledges it.
LINK_ACTION = "insights.link"
_MINUTES = int(LINK_LIFETIME.total_seconds() // 60)
EXPLANATION = (
    "*Insights*: who helps whom, which topics need people, how fast asks are answered.\n"
    f"This button signs *you* in. It works once and expires in {_MINUTES} minutes, "
    "so don't share it; ask again for a fresh one."
)
REFUSALS = {
    HandoutRefused.UNKNOWN: "I couldn't confirm who you are in this workspace; try again shortly.",
    HandoutRefused.BOT: "Bots can't sign in to the insights page.",
    HandoutRefused.DEACTIVATED: "Your Slack account is deactivated, so you can't sign in.",
    HandoutRefused.FORGOTTEN: "Your data was erased from Reciprocity, so you can't sign in.",
}


def link_blocks(url: str) -> list[Block]:
    """The explanation and the button that opens `url` (a fresh sign-in link)."""
    button: dict[str, Any] = {
        "type": "button",
        "action_id": LINK_ACTION,
        "text": {"type": "plain_text", "text": "Open insights"},
        "url": url,
        "style": "primary",
    }
    return [{**section(EXPLANATION), "accessory": button}]


def link_text() -> str:
    """The notification text of a link message (the button carries the link itself)."""
    return f"Your sign-in link to the insights page (works once, for {_MINUTES} minutes)."


def insights(
    session: Session, lookup: SlackLookup, command: SlashCommand, public_url: str, now: datetime
) -> Reply:
    """Answer `/kudos insights` with a fresh link for the person who typed it, or say why not."""
    member = lookup.member(session, command.team_id, command.user_id, now)
    url = hand_out(session, member, public_url, now)
    if isinstance(url, HandoutRefused):
        return Reply(REFUSALS[url], refused=True)
    return Reply(link_text(), link_blocks(url))
