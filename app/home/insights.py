"""The Home tab's "Open insights" button: a modal holding a fresh sign-in link for the clicker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.directory.slack_lookup import SlackLookup
from app.kudos.insights import REFUSALS, link_blocks
from app.signin.handout import HandoutRefused, hand_out
from app.slackapi.blockkit import plain
from app.slackapi.outcomes import OpenView, Reply
from app.slackapi.payloads import Click

MODAL_CALLBACK = "home.insights_link"


def link_modal(url: str) -> dict[str, Any]:
    """The modal holding the sign-in button for `url`; it has nothing to submit."""
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "title": plain("Insights"),
        "close": plain("Close"),
        "blocks": link_blocks(url),
    }


def open_insights(
    session: Session, lookup: SlackLookup, click: Click, public_url: str, now: datetime
) -> OpenView | Reply:
    """Issue a fresh link for whoever clicked (never for anyone a payload names) and return the
    modal that shows it, or the note saying why they may not sign in."""
    member = lookup.member(session, click.team_id, click.user_id, now)
    url = hand_out(session, member, public_url, now)
    if isinstance(url, HandoutRefused):
        return Reply(REFUSALS[url], refused=True)
    return OpenView(link_modal(url), apology="I couldn't open the link in time; click again.")
