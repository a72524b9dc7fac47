"""A person's introductions, exported or erased: those they made, those that named them, and the
introductions the bot suggested to them or about them.

An introduction is about three people at once, so erasing any one of them erases it whole: a
record of "@carol introduced @bob and <someone>" keeps nothing worth keeping. What it still owed
Slack (invitations, their edits, the group DM, notes and follow-ups) is cancelled with it, or the
other two would be asked about an introduction that no longer exists.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.delivery import followers
from app.store.core import connection
from app.store.models import Introduction, IntroPerson, IntroSuggestion, OutboxMessage
from app.store.statuses import OutboxStatus

# The outbox keys of what an introduction or a suggestion owes start with these and its id
# (app/intros/keys.py, app/intros/suggestions.py): "intro:12:invite:U1", "intro-suggestion:7".
INTRO_KEY = "intro"
SUGGESTION_KEY = "intro-suggestion"


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_intros(session: Session, team_id: str, user_id: str) -> dict[str, list[Any]]:
    """`user_id`'s introductions and suggestions in `team_id`, as JSON-ready data.

    Only the person's own answers are theirs to read: the other person's answer to an
    introduction, or whether a suggestion naming them was taken up, is left out.
    """
    made = session.scalars(
        select(Introduction)
        .where(Introduction.team_id == team_id, Introduction.connector_id == user_id)
        .order_by(Introduction.id)
    )
    theirs = session.scalars(
        select(IntroPerson)
        .where(IntroPerson.team_id == team_id, IntroPerson.user_id == user_id)
        .order_by(IntroPerson.intro_id)
    )
    suggested = session.scalars(
        select(IntroSuggestion)
        .where(IntroSuggestion.team_id == team_id, _named_in_suggestion(user_id))
        .order_by(IntroSuggestion.id)
    ).all()
    return {
        "introductions_made": [_made(i) for i in made],
        "introduced_to_someone": [_invited(p.introduction, p) for p in theirs],
        "introductions_suggested_to_you": [
            _suggested_to(s) for s in suggested if s.suggested_to == user_id
        ],
        "suggestions_naming_you": [
            _naming(s, user_id) for s in suggested if s.suggested_to != user_id
        ],
    }


def _made(intro: Introduction) -> dict[str, Any]:
    return {
        "id": intro.id,
        "introduced": [intro.first_id, intro.second_id],
        "reason": intro.reason,
        "status": intro.status,
        "private": intro.channel_is_private,
        "at": _when(intro.created_at),
        "connected_at": _when(intro.connected_at),
        "ended_at": _when(intro.ended_at),
    }


def _invited(intro: Introduction, person: IntroPerson) -> dict[str, Any]:
    return {
        "id": intro.id,
        "by": intro.connector_id,
        "to": intro.second_id if intro.first_id == person.user_id else intro.first_id,
        "reason": intro.reason,
        "status": intro.status,
        "your_answer": person.answer,
        "answered_at": _when(person.answered_at),
        "asked_whether_it_helped_at": _when(person.followed_up_at),
        "at": _when(intro.created_at),
        "connected_at": _when(intro.connected_at),
    }


def _suggested_to(suggestion: IntroSuggestion) -> dict[str, Any]:
    return {
        "id": suggestion.id,
        "introduce": [suggestion.first_id, suggestion.second_id],
        "why": suggestion.kind,
        "topic": suggestion.topic,
        "at": _when(suggestion.created_at),
        "your_answer": suggestion.answer,
        "answered_at": _when(suggestion.answered_at),
    }


def _naming(suggestion: IntroSuggestion, user_id: str) -> dict[str, Any]:
    return {
        "id": suggestion.id,
        "suggested_to": suggestion.suggested_to,
        "with": suggestion.second_id if suggestion.first_id == user_id else suggestion.first_id,
        "why": suggestion.kind,
        "topic": suggestion.topic,
        "at": _when(suggestion.created_at),
    }


def _named_in_suggestion(user_id: str) -> Any:
    return or_(
        IntroSuggestion.suggested_to == user_id,
        IntroSuggestion.first_id == user_id,
        IntroSuggestion.second_id == user_id,
    )


def forget_intros(session: Session, team_id: str, user_id: str, now: datetime) -> dict[str, int]:
    """Erase every introduction and suggestion that names `user_id` in `team_id`, cancelling
    what they still owed Slack; return how many of each kind. Safe to run again."""
    intros = session.execute(
        select(Introduction.id, Introduction.connector_id).where(
            Introduction.team_id == team_id,
            or_(
                Introduction.connector_id == user_id,
                Introduction.first_id == user_id,
                Introduction.second_id == user_id,
            ),
        )
    ).all()
    suggestions = set(
        session.scalars(
            select(IntroSuggestion.id).where(
                IntroSuggestion.team_id == team_id, _named_in_suggestion(user_id)
            )
        )
    )
    intro_ids = {intro_id for intro_id, _ in intros}
    cancelled = _cancel_owed(session, team_id, intro_ids, suggestions, now)
    # The two people's answers go with the introduction (ON DELETE CASCADE).
    session.execute(delete(Introduction).where(Introduction.id.in_(intro_ids)))
    session.execute(delete(IntroSuggestion).where(IntroSuggestion.id.in_(suggestions)))
    made = sum(1 for _, connector in intros if connector == user_id)
    return {
        "introductions made": made,
        "introductions of them": len(intros) - made,
        "introduction suggestions": len(suggestions),
        "queued introduction messages cancelled": cancelled,
    }


def _cancel_owed(
    session: Session,
    team_id: str,
    intro_ids: Collection[int],
    suggestion_ids: Collection[int],
    now: datetime,
) -> int:
    """Cancel the pending outbox rows of these introductions and suggestions; count them."""
    if not intro_ids and not suggestion_ids:
        return 0
    owners = {
        INTRO_KEY: {str(i) for i in intro_ids},
        SUGGESTION_KEY: {str(i) for i in suggestion_ids},
    }
    pending = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(*(OutboxMessage.dedupe_key.startswith(f"{kind}:") for kind in owners)),
        )
    )
    cancelled = 0
    settled: set[tuple[str, str]] = set()
    for row in pending:
        kind, _, rest = row.dedupe_key.partition(":")
        if rest.partition(":")[0] in owners.get(kind, ()):
            row.status = OutboxStatus.CANCELLED
            row.finished_at = now
            settled |= followers.settled_keys(row.team_id, row.dedupe_key, row.after_key)
            cancelled += 1
    # What followed a cancelled message goes now, with what it sends instead, or fails.
    followers.wake(connection(session), settled, now)
    return cancelled
