"""`/intro …`: from a parsed slash command to its answer, or to the form to open."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from app.directory.slack_lookup import SlackLookup
from app.intros import blocks
from app.intros.making import introduce
from app.intros.rules import IntroRequest
from app.slackapi.mrkdwn import split_lead
from app.slackapi.outcomes import OpenView, Outcome, Reply
from app.slackapi.payloads import SlashCommand


def handle(session: Session, lookup: SlackLookup, command: SlashCommand, now: datetime) -> Outcome:
    """Run one `/intro` command: ask the two people, say why not, or open the form."""
    text = command.text.strip()
    if not text:
        return form(command.channel_id, command.in_dm, command.response_url)
    if text.lower() == "help":
        return Reply(blocks.HELP)
    lead = split_lead(text)
    # Held until the introduction is made: the guards read these people from the session.
    people = lookup.members(session, command.team_id, (command.user_id, *lead.people), now)
    request = IntroRequest(
        team_id=command.team_id,
        connector_id=command.user_id,
        people=lead.people,
        plain_names=lead.plain_names,
        reason=lead.rest,
        where=lookup.conversation(session, command.team_id, command.channel_id, command.in_dm, now),
        response_url=command.response_url,
    )
    outcome = introduce(session, request, now)
    del people
    return outcome


def form(
    channel_id: str,
    in_dm: bool,
    response_url: str | None,
    first: str | None = None,
    second: str | None = None,
    reason: str = "",
) -> OpenView:
    """The introduction form (prefilled when given), remembering where it was opened."""
    metadata = {"channel_id": channel_id, "in_dm": in_dm, "response_url": response_url}
    view = blocks.modal(
        private_metadata=json.dumps(metadata), first=first, second=second, reason=reason
    )
    return OpenView(view, apology=blocks.FORM_FAILED)
