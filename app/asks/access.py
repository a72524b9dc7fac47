"""Who may act on an ask, checked in one place, and why not when they may not.

Every button, form and thread reply names an ask by id; the person acting is always Slack's
(the clicker, the submitter), never a value in the payload. A use case looks the ask up here and
gets the ask, or a `Refusal` whose reason is an `AskRefusal` and whose text is what they are told.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.slackapi.outcomes import Refusal
from app.store.models import Ask, Member
from app.store.statuses import LIVE_ASKS, AskStatus

NOT_OPEN = "That ask is no longer open."


class AskRefusal(StrEnum):
    """Why nothing was done to an ask."""

    # The payload names no ask (a forged or garbled value): there is nothing to say.
    NO_ASK = "no_ask"
    NOT_OPEN = "not_open"
    NOT_ASKER = "not_asker"
    OWN_ASK = "own_ask"
    ALREADY_CLAIMED = "already_claimed"
    STILL_OPEN = "still_open"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    EXPIRED_FORM = "expired_form"


def find(session: Session, team_id: str, ask_id: int) -> Ask | None:
    """Return the ask `ask_id` of `team_id`, or None."""
    ask = session.get(Ask, ask_id)
    return ask if ask is not None and ask.team_id == team_id else None


def live_ask(
    session: Session,
    team_id: str,
    ask_id: int | None,
    statuses: Collection[AskStatus] = LIVE_ASKS,
    closed: str = NOT_OPEN,
) -> Ask | Refusal:
    """The ask `ask_id` names if its status is one of `statuses`; else a refusal saying `closed`."""
    if ask_id is None:
        return Refusal(AskRefusal.NO_ASK, "")
    ask = find(session, team_id, ask_id)
    if ask is None or ask.status not in statuses:
        return Refusal(AskRefusal.NOT_OPEN, closed)
    return ask


def askers_ask(
    session: Session,
    team_id: str,
    ask_id: int | None,
    user_id: str,
    may: str,
    statuses: Collection[AskStatus] = LIVE_ASKS,
    closed: str = NOT_OPEN,
) -> Ask | Refusal:
    """The ask as `live_ask` finds it, if `user_id` asked it: only the asker `may` (do this)."""
    ask = live_ask(session, team_id, ask_id, statuses, closed)
    if isinstance(ask, Ask) and ask.asker_id != user_id:
        return Refusal(AskRefusal.NOT_ASKER, f"Only the person who asked can {may}.")
    return ask


def still_here(session: Session, team_id: str, user_ids: Sequence[str]) -> list[str]:
    """Return `user_ids` less the people the directory knows as deactivated, in order."""
    gone = set(
        session.scalars(
            select(Member.user_id).where(
                Member.team_id == team_id,
                Member.user_id.in_(list(user_ids)),
                Member.deleted.is_(True),
            )
        )
    )
    return [user_id for user_id in user_ids if user_id not in gone]
