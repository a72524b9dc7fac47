"""The answers to a suggested introduction: "Introduce them" and "No thanks".

"Introduce them" opens the `/intro` form prefilled with the two people and a reason; the form's
submission is an ordinary introduction (source "form"), so every guard and the double opt-in
apply. "No thanks" edits the DM kindly. Only the person the suggestion was made to may answer,
and the first answer stands: a second click, or Slack resending one, records nothing new (a
second "Introduce them" opens the form again, in case the first one closed).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.directory.service import get_members
from app.intros import suggestion_blocks as blocks
from app.intros.command import form
from app.intros.suggestions import key
from app.slackapi.outcomes import Done, OpenView, Refusal, Reply
from app.slackapi.payloads import Click
from app.store.models import IntroSuggestion, Member


class SuggestionAnswer(StrEnum):
    """What the suggested person answered."""

    INTRODUCED = "introduced"
    DISMISSED = "dismissed"


class SuggestionRefusal(StrEnum):
    """Why a click on a suggestion changed nothing."""

    GONE = "gone"
    NOT_YOURS = "not_yours"


DISMISSED_ALREADY = (
    "You said no thanks to this suggestion. If you change your mind, `/intro` works any time."
)


def answer_key(suggestion_id: int, answer: str) -> str:
    """The outbox key of the suggestion DM's edit once answered `answer`."""
    return f"{key(suggestion_id)}:{answer}"


def introduce(session: Session, click: Click, now: datetime) -> OpenView | Reply | Refusal:
    """ "Introduce them": the `/intro` form, prefilled with the two people and a reason."""
    suggestion = _clicked(session, click)
    if not isinstance(suggestion, IntroSuggestion):
        return suggestion
    if suggestion.answer == SuggestionAnswer.DISMISSED:
        return Reply(DISMISSED_ALREADY)
    if suggestion.answer is None:
        line = blocks.introducing_line(suggestion.first_id, suggestion.second_id)
        _answer(session, suggestion, SuggestionAnswer.INTRODUCED, line, now)
    first, second = suggestion.first_id, suggestion.second_id
    reason = blocks.reason(suggestion.kind, *_names(session, suggestion), suggestion.topic)
    # Clicked in the bot's DM: the form's confirmation comes by DM too.
    return form(click.channel_id or "", True, None, first, second, reason)


def dismiss(session: Session, click: Click, now: datetime) -> Done | Refusal:
    """ "No thanks": nobody is told; the DM says so kindly and loses its buttons."""
    suggestion = _clicked(session, click)
    if not isinstance(suggestion, IntroSuggestion):
        return suggestion
    if suggestion.answer is None:
        _answer(session, suggestion, SuggestionAnswer.DISMISSED, blocks.dismissed_line(), now)
    return Done()


def _clicked(session: Session, click: Click) -> IntroSuggestion | Refusal:
    """The suggestion the click answers, if the clicker is the person it was made to."""
    query = select(IntroSuggestion).where(
        IntroSuggestion.team_id == click.team_id, IntroSuggestion.id == click.number
    )
    # Two clicks at once (both buttons, or a resend): the second sees the first's answer.
    suggestion = session.scalar(query.with_for_update())
    if suggestion is None:
        return Refusal(SuggestionRefusal.GONE, "This suggestion no longer exists.")
    if suggestion.suggested_to != click.user_id:
        return Refusal(
            SuggestionRefusal.NOT_YOURS, "Only the person I suggested this to can answer it."
        )
    return suggestion


def _answer(
    session: Session, suggestion: IntroSuggestion, answer: str, line: str, now: datetime
) -> None:
    """Record `answer` and queue the DM's edit to `line` (its buttons go), once it was sent."""
    suggestion.answer, suggestion.answered_at = answer, now
    message = blocks.answered(
        suggestion.kind, suggestion.first_id, suggestion.second_id, suggestion.topic, line
    )
    outbox.queue_edit(
        session,
        team_id=suggestion.team_id,
        follows=key(suggestion.id),
        message=message,
        dedupe_key=answer_key(suggestion.id, answer),
        now=now,
    )


def _names(session: Session, suggestion: IntroSuggestion) -> tuple[str, str]:
    """The two people's names as the directory shows them, for the reason's plain text."""
    people = (suggestion.first_id, suggestion.second_id)
    found = get_members(session, suggestion.team_id, people)
    first, second = (_name(found.get(p)) for p in people)
    return first, second


def _name(member: Member | None) -> str:
    if member is None or member.forgotten_at is not None:
        return "one of you"
    return member.shown_name or "one of you"
