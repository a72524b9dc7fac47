"""The introduction form, submitted: the same introduction `/intro` makes, refused beside the
field it is about, confirmed by a note where the form was opened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.delivery import outbox
from app.directory.slack_lookup import SlackLookup
from app.intros import blocks
from app.intros.making import made_reply, make, refusal
from app.intros.results import Refused
from app.intros.rules import IntroRequest
from app.slackapi.outcomes import Done, Outcome
from app.slackapi.payloads import Submission


def submitted(
    session: Session, lookup: SlackLookup, submission: Submission, now: datetime
) -> Outcome:
    """Ask the two people picked, or keep the form open with what is wrong."""
    connector = submission.user_id
    picked = (submission.user(blocks.FIRST_BLOCK), submission.user(blocks.SECOND_BLOCK))
    people = tuple(p for p in picked if p)
    meta = submission.metadata
    channel_id = str(meta.get("channel_id") or "")
    in_dm = bool(meta.get("in_dm")) or not channel_id
    response_url = meta.get("response_url") or None
    known = lookup.members(session, submission.team_id, (connector, *people), now)
    request = IntroRequest(
        team_id=submission.team_id,
        connector_id=connector,
        people=people,
        reason=submission.text(blocks.REASON_BLOCK),
        where=lookup.conversation(session, submission.team_id, channel_id, in_dm, now),
        source="form",
        response_url=response_url,
    )
    made = make(session, request, now)
    del known
    if isinstance(made, Refused):
        return refusal(made)
    # A form has no answer of its own: the confirmation goes where the form was opened from.
    text = made_reply(made)
    if response_url:
        payload = {"response_type": "ephemeral", "text": text}
        method: outbox.Method = "response_url"
        args: dict[str, object] = {"url": response_url, "payload": payload}
    else:
        method, args = "dm", {"user": connector, "text": text}
    outbox.queue(
        session,
        team_id=submission.team_id,
        method=method,
        args=args,
        dedupe_key=f"intro:{made.id}:confirm",
        now=now,
    )
    return Done()
