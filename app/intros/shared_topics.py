"""Suggested introductions, rule 2 (see `app.intros.suggestions` for both rules and their
guards): two people who keep asking about a topic, introduced by someone who offers it.

Run by the scheduled introductions pass. A workspace gets at most `PER_DAY` of these a day, so
turning suggestions on in a workspace with a long history starts a trickle, not a flood of DMs.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from itertools import combinations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.intros import suggestion_blocks as blocks
from app.intros.suggestions import (
    ONCE_A_WEEK,
    active_among,
    pair_free,
    public_asks,
    suggest,
    suggested_pairs,
)
from app.offers.topics import spellings
from app.store.models import IntroSuggestion, Offer, Workspace

# How far back asks are counted, and how many each of the two must have posted.
KEEP_ASKING = timedelta(weeks=8)
KEEP_ASKING_COUNT = 2
# The asks read per workspace (newest first), so a busy workspace costs the same.
PASS_ASKS = 2000
# Shared-topic suggestions a workspace gets in a day, at most.
PER_DAY = 10


def suggest_shared_topics(session: Session, now: datetime) -> int:
    """Rule 2, for every workspace that has suggestions on: suggest to people who offer a topic
    introductions of two people who keep asking about it; return how many were suggested.
    Safe to run twice: a second run finds everyone already suggested to this week."""
    workspaces = select(Workspace).where(
        Workspace.active.is_(True), Workspace.intro_suggestions.is_(True)
    )
    found = session.scalars(workspaces.order_by(Workspace.team_id)).all()
    return sum(_shared_topics(session, workspace, now) for workspace in found)


def _shared_topics(session: Session, workspace: Workspace, now: datetime) -> int:
    """Rule 2 in one workspace: at most one suggestion per pair and per offerer."""
    team_id = workspace.team_id
    # Two passes at once take turns per workspace, so a pair is never offered to two people.
    # NO KEY UPDATE: rows that name the workspace (its kudos, asks, outbox) are still written.
    session.get(Workspace, team_id, with_for_update={"key_share": True})
    budget = PER_DAY - _made_since(session, team_id, now - timedelta(days=1))
    if budget <= 0:
        return 0
    frequent = _frequent_askers(session, team_id, now - KEEP_ASKING)
    offerers = {topic: _offerers(session, team_id, topic) for topic in frequent}
    everyone = {p for people in (*frequent.values(), *offerers.values()) for p in people}
    active = active_among(session, workspace, everyone)
    busy = _busy_people(session, team_id, now)
    suggested = suggested_pairs(session, team_id, now)
    made = 0
    for topic in sorted(frequent):
        askers = [p for p in frequent[topic] if p in active]
        for pair in combinations(askers, 2):
            free = [c for c in offerers[topic] if c in active and c not in busy and c not in pair]
            if not free or not pair_free(session, team_id, pair, now, suggested):
                continue
            for offerer in free:
                if suggest(session, team_id, offerer, pair, blocks.SHARED_TOPIC, topic, now):
                    busy.add(offerer)
                    suggested.add(frozenset(pair))
                    made += 1
                    if made >= budget:
                        return made
                    break
    return made


def _made_since(session: Session, team_id: str, since: datetime) -> int:
    """How many shared-topic suggestions the workspace was made since `since`."""
    count = session.scalar(
        select(func.count())
        .select_from(IntroSuggestion)
        .where(
            IntroSuggestion.team_id == team_id,
            IntroSuggestion.kind == blocks.SHARED_TOPIC,
            IntroSuggestion.created_at >= since,
        )
    )
    return int(count or 0)


def _busy_people(session: Session, team_id: str, now: datetime) -> set[str]:
    """Everyone in the workspace suggested an introduction in the last 7 days."""
    return set(
        session.scalars(
            select(IntroSuggestion.suggested_to).where(
                IntroSuggestion.team_id == team_id,
                IntroSuggestion.created_at > now - ONCE_A_WEEK,
            )
        )
    )


def _frequent_askers(session: Session, team_id: str, since: datetime) -> dict[str, list[str]]:
    """Each topic at least two people asked about at least twice since `since`, and those
    people (sorted, so a run is repeatable)."""
    counts: dict[str, Counter[str]] = {}
    for asker_id, topics in session.execute(public_asks(team_id, since, PASS_ASKS)):
        for topic in set(topics or ()):
            counts.setdefault(topic, Counter())[asker_id] += 1
    frequent = {
        topic: sorted(p for p, n in people.items() if n >= KEEP_ASKING_COUNT)
        for topic, people in counts.items()
    }
    return {topic: people for topic, people in frequent.items() if len(people) >= 2}


def _offerers(session: Session, team_id: str, topic: str) -> list[str]:
    """Who actively offers `topic` (under any of its spellings), most recently confirmed first."""
    query = (
        select(Offer.user_id)
        .where(
            Offer.team_id == team_id,
            Offer.topic.in_(spellings(topic)),
            Offer.active.is_(True),
        )
        .order_by(Offer.confirmed_at.desc(), Offer.user_id)
    )
    return list(dict.fromkeys(session.scalars(query)))
