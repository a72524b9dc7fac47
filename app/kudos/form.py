"""The give-kudos form: opened for a message (the message shortcut), and submitted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.directory.slack_lookup import SlackLookup
from app.kudos import blocks
from app.kudos.giving import give_kudos
from app.kudos.request import KudosRequest
from app.permalinks import permalink
from app.slackapi.mrkdwn import parse
from app.slackapi.outcomes import OpenView, Outcome
from app.slackapi.payloads import MessageShortcut, Submission
from app.store.models import Workspace


def for_message(session: Session, shortcut: MessageShortcut) -> OpenView:
    """The form prefilled to thank a message's author (not oneself), with a link to it."""
    workspace = session.get(Workspace, shortcut.team_id)
    values = list(workspace.kudos_values) if workspace else []
    domain = workspace.domain if workspace else None
    link = permalink(domain, shortcut.channel_id, shortcut.ts) if shortcut.ts else ""
    author = shortcut.author
    view = blocks.modal(
        values=values,
        private_metadata={
            "channel_id": shortcut.channel_id,
            "in_dm": shortcut.channel_id.startswith("D"),
        },
        recipients=(author,) if author and author != shortcut.user_id else (),
        message=f"Thanks for this: {link}" if link else "",
    )
    return OpenView(view, apology=blocks.FORM_FAILED)


def submitted(
    session: Session, lookup: SlackLookup, submission: Submission, now: datetime
) -> Outcome:
    """Give the kudos the form asks for; a refusal names the field it is about."""
    giver = submission.user_id
    people = submission.users(blocks.RECIPIENTS_BLOCK)
    text = submission.text(blocks.MESSAGE_BLOCK)
    value = submission.option(blocks.VALUE_BLOCK, blocks.VALUE_BLOCK)
    # Context from our own metadata; who gives is always Slack's submitter.
    meta = submission.metadata
    channel_id = str(meta.get("channel_id") or "")
    # Held so the guards find these people in the session's identity map.
    known = [lookup.member(session, submission.team_id, u, now) for u in (giver, *people)]
    in_dm = bool(meta.get("in_dm")) or not channel_id
    request = KudosRequest(
        team_id=submission.team_id,
        giver_id=giver,
        recipients=tuple(people),
        message=text,
        values=tuple(v for v in (value, *parse(text).values) if v),
        where=lookup.conversation(session, submission.team_id, channel_id, in_dm, now),
        source="modal",
        response_url=meta.get("response_url"),
    )
    outcome = give_kudos(session, request, now)
    del known
    return outcome
