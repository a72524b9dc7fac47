"""The people page (admins only): helpers ranked by breadth, unsung helpers, asks left waiting.

Leaderboard opt-outs, bots, deactivated and erased people are in none of its lists, neither as
the ranked person nor as an asker. Helpers and unsung helpers cover the period; the asks left
waiting are the live backlog, whenever they were made (oldest first, so the period would only
hide the asks that waited longest).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, or_, select
from sqlalchemy.orm import Session

from app.insights.help_counts import read_breadth
from app.insights.members import ranked_names
from app.insights.model import HelperRank, People, Period, UnsungHelper, WaitingAsk
from app.insights.planner import index_reads
from app.store.models import Ask, AskHelper, AskReply, Member
from app.store.statuses import AskStatus

# Each list shows this many people or asks: a page to read, not a report of everyone.
LISTED = 20
# The live statuses of an ask nobody has answered yet (a first answer makes it `answered`).
_WAITING = (AskStatus.OPEN, AskStatus.CLAIMED)


def people(session: Session, team_id: str, period: Period, now: datetime) -> People:
    """Return the period's helpers by breadth and unsung helpers, and the asks waiting longest."""
    return People(
        period=period,
        helpers=helpers(session, team_id, period),
        unsung=unsung(session, team_id, period),
        waiting=waiting(session, team_id, now),
    )


def helpers(session: Session, team_id: str, period: Period) -> tuple[HelperRank, ...]:
    """The `LISTED` helpers who helped the most different people in the period, then the most
    acts (kudos received from and credits on asks of the people helped), then by name."""
    with index_reads(session):
        breadth = read_breadth(session.connection(), team_id, period.start, period.end)
        names = ranked_names(session, team_id, [user for user, _, _ in breadth])
        ranks = [HelperRank(u, names[u], n, acts) for u, n, acts in breadth if u in names]
        ranks.sort(key=lambda r: (-r.people_helped, -r.acts, r.name.casefold(), r.user_id))
        return tuple(ranks[:LISTED])


def unsung(session: Session, team_id: str, period: Period) -> tuple[UnsungHelper, ...]:
    """The `LISTED` people who answered the most asks in the period (a reply in the ask's thread
    or its first answer) and were credited on none of those asks."""
    with index_reads(session):
        answered: defaultdict[str, set[int]] = defaultdict(set)
        thanked: set[str] = set()
        for person, ask_id, credited in _answers(session, team_id, period):
            answered[person].add(ask_id)
            if credited:
                thanked.add(person)
        names = ranked_names(session, team_id, answered.keys() - thanked)
        found = [UnsungHelper(u, names[u], len(answered[u])) for u in names]
        found.sort(key=lambda h: (-h.answers, h.name.casefold(), h.user_id))
        return tuple(found[:LISTED])


def _answers(session: Session, team_id: str, period: Period) -> list[Any]:
    """(person, ask, credited on it) for each reply in an ask's thread (not deleted, not by its
    asker) and each first answer made in the period.

    Replies through ask_replies (team_id, created_at), first answers through asks (team_id,
    answered_at); whether the person was credited is a primary-key probe of ask_helpers.
    """

    def credited(person: Any) -> Any:
        return exists().where(AskHelper.ask_id == Ask.id, AskHelper.helper_id == person)

    replies = (
        select(AskReply.user_id, Ask.id, credited(AskReply.user_id))
        .join(Ask, Ask.id == AskReply.ask_id)
        .where(
            AskReply.team_id == team_id,
            AskReply.created_at >= period.start,
            AskReply.created_at < period.end,
            AskReply.deleted_at.is_(None),
            AskReply.user_id != Ask.asker_id,
        )
    )
    first = select(Ask.answered_by, Ask.id, credited(Ask.answered_by)).where(
        Ask.team_id == team_id,
        Ask.answered_at >= period.start,
        Ask.answered_at < period.end,
        Ask.answered_by.is_not(None),
        Ask.answered_by != Ask.asker_id,
    )
    return [*session.connection().execute(replies), *session.connection().execute(first)]


def waiting(session: Session, team_id: str, now: datetime) -> tuple[WaitingAsk, ...]:
    """The `LISTED` live asks nobody has answered, longest waiting first, of askers who may be
    named in a ranking; the text of an ask made in a private place is never returned.

    One index range per status (asks team_id, status, created_at), oldest first and stopped at
    `LISTED` rows: the backlog is read from its old end, never whole.
    """
    with index_reads(session):
        asker_listed = and_(
            Member.team_id == Ask.team_id,
            Member.user_id == Ask.asker_id,
            Member.deleted.is_(False),
            Member.forgotten_at.is_(None),
            Member.leaderboard_opt_out.is_(False),
            Member.is_bot.is_(False),
            or_(Member.display_name != "", Member.real_name != "", Member.name != ""),
        )
        found: list[WaitingAsk] = []
        for status in _WAITING:
            query = (
                select(
                    Ask.id,
                    Ask.asker_id,
                    Ask.topics,
                    # A private ask's text is not even read: nothing here can show it.
                    case((Ask.channel_is_private.is_(False), Ask.text)),
                    Ask.created_at,
                    Member.display_name,
                    Member.real_name,
                    Member.name,
                )
                .join(Member, asker_listed)
                .where(
                    Ask.team_id == team_id,
                    Ask.status == status,
                    Ask.created_at < now,
                    # As an expression, not a column test: SQLite would otherwise pick the
                    # (team_id, answered_at) index, read every unanswered ask and sort them.
                    case((Ask.answered_at.is_(None), 1), else_=0) == 1,
                )
                # The index's own order, so the read stops after `LISTED` rows.
                .order_by(Ask.created_at)
                .limit(LISTED)
            )
            for ask_id, asker, topics, text, asked_at, *shown in session.connection().execute(
                query
            ):
                name = next(name for name in shown if name)
                found.append(
                    WaitingAsk(
                        ask_id, asker, name, tuple(topics or ()), text, asked_at, now - asked_at
                    )
                )
        found.sort(key=lambda w: (w.asked_at, w.ask_id))
        return tuple(found[:LISTED])
