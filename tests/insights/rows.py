"""Hand-made rows for the insights tests: two workspaces, a handful of people, in New York time.

Workspace T1 is in America/New_York, whose clocks go back on Sunday 1 November 2026: the local week
of 26 October starts at 04:00 UTC and the week of 2 November at 05:00 UTC. T2 holds rows that must
never be counted for T1.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.store.models import (
    Ask,
    AskHelper,
    AskReply,
    Kudos,
    KudosRecipient,
    Offer,
)

# Wednesday 4 November 2026, 10:00 in New York (EST).
NOW = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)
THIS_WEEK = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
LAST_WEEK = datetime(2026, 10, 26, 4, 0, tzinfo=UTC)
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)
PEOPLE = {
    "UANA": "Ana",
    "UBEN": "Ben",
    "UCAT": "Cat",
    "UDAN": "Dan",
    "UEVE": "Eve",
    "UGONE": "Gone",  # deactivated in Slack
    "UHIDE": "Hide",  # opted out of leaderboards
    "UERASED": "Erased",  # data erased (forgotten)
    "UBOT2": "Robot",  # a bot
}
_ts = itertools.count(1)


def kudos(
    session: Session,
    giver: str,
    recipients: list[str],
    at: datetime,
    *,
    team: str = "T1",
    channel: str = "C1",
    private: bool = False,
    undone: bool = False,
    revoked: bool = False,
    message: str = "thanks!",
) -> Kudos:
    """A kudos from `giver` to `recipients` at `at`."""
    row = Kudos(
        team_id=team,
        giver_id=giver,
        channel_id=channel,
        channel_is_private=private,
        message=message,
        created_at=at,
        undone_at=at + timedelta(minutes=1) if undone else None,
        revoked_at=at + timedelta(minutes=2) if revoked else None,
        recipients=[
            KudosRecipient(recipient_id=r, team_id=team, giver_id=giver) for r in recipients
        ],
    )
    session.add(row)
    session.flush()
    return row


def ask(
    session: Session,
    asker: str,
    at: datetime,
    *,
    text: str = "how do I?",
    team: str = "T1",
    topics: list[str] | None = None,
    private: bool = False,
    status: str = "open",
    answered: tuple[str, datetime] | None = None,
    credited: list[str] | None = None,
    credited_at: datetime | None = None,
    channel: str = "C1",
) -> Ask:
    """An ask by `asker` at `at`; `answered` is (who, when) of its first answer; `credited` the
    helpers credited when it was resolved (at `credited_at`, else at the answer)."""
    row = Ask(
        team_id=team,
        asker_id=asker,
        text=text,
        topics=topics or [],
        origin_channel_id="G1" if private else channel,
        channel_is_private=private,
        channel_id="G1" if private else channel,
        message_ts=f"1700000000.{next(_ts):06d}",
        status="resolved" if credited else status,
        created_at=at,
        updated_at=at,
        answered_by=answered[0] if answered else None,
        answered_at=answered[1] if answered else None,
    )
    when = credited_at or (answered[1] if answered else at)
    if credited:
        row.resolved_at = when
    for helper in credited or []:
        row.helpers.append(
            AskHelper(team_id=team, helper_id=helper, asker_id=asker, credited_at=when)
        )
    session.add(row)
    session.flush()
    return row


def reply(session: Session, on: Ask, user: str, at: datetime, *, deleted: bool = False) -> AskReply:
    """A reply by `user` in `on`'s thread at `at`."""
    row = AskReply(
        team_id=on.team_id,
        channel_id=on.channel_id or "C1",
        ts=f"1800000000.{next(_ts):06d}",
        ask_id=on.id,
        user_id=user,
        created_at=at,
        deleted_at=at + timedelta(minutes=5) if deleted else None,
    )
    session.add(row)
    session.flush()
    return row


def offer(
    session: Session, user: str, topic: str, *, team: str = "T1", active: bool = True
) -> None:
    """An offer of `topic` by `user`."""
    session.add(
        Offer(
            team_id=team,
            user_id=user,
            topic=topic,
            active=active,
            created_at=LONG_AGO,
            confirmed_at=LONG_AGO,
        )
    )
    session.flush()
