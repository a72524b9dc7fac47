"""The two answers to a follow-up: "Thank <connector>", which gives the connector a kudos, and
"Not really", which only closes the question kindly.

Only the two people introduced may answer, and only once they were asked. A thanks is one kudos
per person (its dedupe key), however often the button is clicked or Slack resends the click.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.directory.service import get_channel
from app.intros import blocks, keys
from app.kudos import giving
from app.kudos.blocks import refusal_text
from app.kudos.request import KudosRequest
from app.kudos.results import Refused
from app.slackapi.outcomes import Done, Refusal
from app.slackapi.payloads import Click, Conversation
from app.store.models import Introduction, IntroPerson, Kudos, Workspace
from app.store.statuses import IntroStatus


class FollowUpRefusal(StrEnum):
    """Why a click on a follow-up changed nothing."""

    GONE = "gone"
    NOT_YOURS = "not_yours"


def thank(session: Session, click: Click, now: datetime) -> Refusal | Done:
    """ "Thank <connector>": give the connector a kudos from the clicker, once; or say why the
    kudos could not be given (the kudos rules' own words)."""
    found = _asked(session, click)
    if not isinstance(found, tuple):
        return found
    intro, person, other = found
    if _thanked(session, intro, person.user_id):
        # A second click, or Slack resending the first: the kudos stands and nothing repeats.
        return Done()
    given = giving.give(
        session,
        KudosRequest(
            team_id=intro.team_id,
            giver_id=person.user_id,
            recipients=(intro.connector_id,),
            message=blocks.thanks_message(other),
            where=_where(session, intro, click),
            source="intro",
            dedupe_key=keys.thanks(intro.id, person.user_id),
        ),
        now,
    )
    if isinstance(given, Refused):
        return Refusal(given.reason, refusal_text(given))
    _answer(session, intro, person.user_id, "thanked", blocks.thanked_line(intro.connector_id), now)
    return Done()


def not_really(session: Session, click: Click, now: datetime) -> Refusal | Done:
    """ "Not really": close the question kindly; nobody is told, nothing is recorded."""
    found = _asked(session, click)
    if not isinstance(found, tuple):
        return found
    intro, person, _ = found
    if not _thanked(session, intro, person.user_id):
        # After a thanks the message already says so; an old "Not really" does not undo it.
        _answer(session, intro, person.user_id, "not_really", blocks.not_really_line(), now)
    return Done()


def _asked(session: Session, click: Click) -> tuple[Introduction, IntroPerson, str] | Refusal:
    """The introduction the follow-up is about, the clicker's part in it (locked, so two clicks
    at once give one kudos) and the other person; or why the clicker may not answer."""
    intro = session.scalar(
        select(Introduction).where(
            Introduction.team_id == click.team_id, Introduction.id == click.number
        )
    )
    if intro is None or intro.status != IntroStatus.CONNECTED:
        return Refusal(FollowUpRefusal.GONE, "This introduction no longer exists.")
    person = session.scalar(
        select(IntroPerson)
        .where(IntroPerson.intro_id == intro.id, IntroPerson.user_id == click.user_id)
        .with_for_update()
    )
    if person is None or person.followed_up_at is None:
        return Refusal(
            FollowUpRefusal.NOT_YOURS,
            "Only the two people introduced can answer this, once I've asked them.",
        )
    other = intro.other_than(person.user_id)
    return intro, person, other


def _thanked(session: Session, intro: Introduction, user_id: str) -> bool:
    """Whether `user_id` already thanked the connector for `intro` (withdrawn or not)."""
    key = keys.thanks(intro.id, user_id)
    found = session.scalar(
        select(Kudos.id).where(Kudos.team_id == intro.team_id, Kudos.dedupe_key == key)
    )
    return found is not None


def _where(session: Session, intro: Introduction, click: Click) -> Conversation:
    """Where the thanks is given: the workspace's kudos channel when it has one and the
    introduction was asked for in public, else quietly in the clicker's DM (no public post)."""
    team_id = intro.team_id
    workspace = session.get_one(Workspace, team_id)
    # An introduction asked for in a private place is nobody else's business: its thanks, which
    # names both people, is not posted in public.
    if workspace.kudos_channel_id and not intro.channel_is_private:
        channel = get_channel(session, team_id, workspace.kudos_channel_id)
        return Conversation(
            workspace.kudos_channel_id,
            is_private=channel.is_private if channel else False,
            is_dm=False,
            bot_is_member=channel.bot_is_member if channel else True,
        )
    return Conversation(click.channel_id or click.user_id, is_private=True, is_dm=True)


def _answer(
    session: Session, intro: Introduction, user_id: str, answer: str, line: str, now: datetime
) -> None:
    """Queue the edit of `user_id`'s follow-up to `line` (its buttons go), once per answer."""
    other = intro.other_than(user_id)
    outbox.queue_edit(
        session,
        team_id=intro.team_id,
        follows=keys.follow_up(intro.id, user_id),
        message=blocks.follow_up_answered(intro.connector_id, other, line),
        dedupe_key=keys.follow_up_answer(intro.id, user_id, answer),
        now=now,
    )
