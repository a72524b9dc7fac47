"""Who should hear about an ask: people who offered its topics, and people who helped on them.

An ask's topics for matching are its `#tags`, the topics it was stored with, and every topic
offered in the workspace that its text names (phrase containment over normal forms, longest
first: see `app.asks.topics`). Offers are compared in normal form, whatever form they were saved
in, so "#machine-learning", "ML" and "training a machine learning model" all reach someone who
offered "machine learning".

Scoring is deliberately simple and explainable: each of the ask's topics a person offers counts
1; each resolved ask on a shared topic they were credited on counts 1.5 (proven help weighs more
than a promise). Ties go to whoever was asked least lately, so one expert is not pinged for
everything, and nobody is told more than the workspace's daily cap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from app.asks import topics as ask_topics
from app.offers.topics import spellings
from app.store.models import Ask, AskHelper, AskMatch, Member, Offer, Workspace

OFFER_WEIGHT = 1.0
HELPED_WEIGHT = 1.5
HISTORY = timedelta(days=180)
FAIRNESS_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Candidate:
    """A person to tell, and why: the topics they offered, and those they helped on before."""

    user_id: str
    score: float
    offered: tuple[str, ...]
    helped: tuple[str, ...] = ()

    @property
    def topics(self) -> tuple[str, ...]:
        """Every reason, offered topics first."""
        return (*self.offered, *self.helped)


def stored_forms(topics: Collection[str]) -> dict[str, str]:
    """Every spelling under which an offer on one of `topics` (normal forms) may be stored, and
    the topic it means."""
    return {form: topic for topic in sorted(topics) for form in spellings(topic)}


def offered(session: Session, team_id: str, topics: Collection[str]) -> set[str]:
    """The topics among `topics` (normal forms) that someone in `team_id` actively offers."""
    if not topics:
        return set()
    forms = stored_forms(topics)
    # As in `rank`: only (team, topic) goes to the database, so its index is the one used.
    rows = session.execute(
        select(Offer.topic, Offer.active)
        .distinct()
        .where(Offer.team_id == team_id, Offer.topic.in_(sorted(forms)))
    )
    return {forms[topic] for topic, active in rows if active}


def rank(session: Session, ask: Ask, now: datetime) -> list[Candidate]:
    """Every eligible person for `ask`, best first (no caps applied)."""
    declared = set(ask_topics.shown(ask.topics or []))
    looked_up = ask_topics.candidates(ask.text) | declared
    if not looked_up:
        return []
    workspace = session.get_one(Workspace, ask.team_id)
    # Offers nobody confirmed within the confirmation period and its grace stop matching.
    fresh = now - timedelta(days=workspace.offer_confirm_days + workspace.offer_grace_days)
    forms = stored_forms(looked_up)
    # Only (team, topic) is asked of the database, so the planner seeks that index once per form
    # instead of scanning every fresh offer; the few inactive or stale rows are dropped here.
    rows = session.execute(
        select(Offer.user_id, Offer.topic, Offer.active, Offer.confirmed_at).where(
            Offer.team_id == ask.team_id, Offer.topic.in_(sorted(forms))
        )
    )
    offers = [
        (user_id, forms[topic])
        for user_id, topic, active, confirmed_at in rows
        if active and confirmed_at >= fresh
    ]
    vocabulary = {topic for _, topic in offers}
    named = set(ask_topics.mentioned(ask.text, vocabulary | ask_topics.KNOWN))
    topics = declared | set(ask_topics.tags(ask.text)) | named
    scores: defaultdict[str, float] = defaultdict(float)
    reasons: dict[str, set[str]] = {}
    for user_id, topic in set(offers):
        if topic in topics:
            scores[user_id] += OFFER_WEIGHT
            reasons.setdefault(user_id, set()).add(topic)
    helped_on: dict[str, set[str]] = {}
    helped = session.execute(
        select(AskHelper.helper_id, Ask.topics)
        .join(Ask, Ask.id == AskHelper.ask_id)
        .where(AskHelper.team_id == ask.team_id, AskHelper.credited_at >= now - HISTORY)
    )
    for user_id, past_topics in helped:
        shared = topics & set(ask_topics.shown(past_topics or []))
        if shared:
            scores[user_id] += HELPED_WEIGHT
            helped_on.setdefault(user_id, set()).update(shared)
    excluded = {ask.asker_id, ask.answered_by, ask.claimed_by}
    excluded |= set(session.scalars(select(AskMatch.user_id).where(AskMatch.ask_id == ask.id)))
    people = [u for u in scores if u not in excluded]
    if not people:
        return []
    unavailable = set(
        session.scalars(
            select(Member.user_id).where(
                Member.team_id == ask.team_id,
                Member.user_id.in_(people),
                Member.deleted.is_(True)
                | Member.is_bot.is_(True)
                | Member.nudges_opt_out.is_(True),
            )
        )
    )
    recent = _counts(
        session,
        (
            select(AskMatch.user_id, func.count())
            .where(
                AskMatch.team_id == ask.team_id,
                AskMatch.user_id.in_(people),
                AskMatch.matched_at >= now - FAIRNESS_WINDOW,
            )
            .group_by(AskMatch.user_id)
        ),
    )
    ranked = sorted(
        (u for u in people if u not in unavailable),
        key=lambda u: (-scores[u], recent.get(u, 0), u),
    )
    return [
        _candidate(u, scores[u], reasons.get(u, set()), helped_on.get(u, set())) for u in ranked
    ]


def _candidate(user_id: str, score: float, offered: set[str], helped: set[str]) -> Candidate:
    """A candidate whose help-given topics leave out what they also offered."""
    # Said as "which you offered" only for what they offered; help given is said as such.
    return Candidate(user_id, score, tuple(sorted(offered)), tuple(sorted(helped - offered)))


def choose(session: Session, ask: Ask, now: datetime, limit: int | None = None) -> list[Candidate]:
    """The next people to tell about `ask`: ranked, within the per-ask and per-day caps."""
    workspace = session.get_one(Workspace, ask.team_id)
    wanted = workspace.matches_per_ask if limit is None else limit
    ranked = rank(session, ask, now)
    if not ranked:
        return []
    today = _counts(
        session,
        (
            select(AskMatch.user_id, func.count())
            .where(
                and_(
                    AskMatch.team_id == ask.team_id,
                    AskMatch.user_id.in_([c.user_id for c in ranked]),
                    AskMatch.matched_at >= now - timedelta(days=1),
                )
            )
            .group_by(AskMatch.user_id)
        ),
    )
    chosen = [c for c in ranked if today.get(c.user_id, 0) < workspace.expert_daily_cap]
    return chosen[:wanted]


def _counts(session: Session, query: Select[str, int]) -> dict[str, int]:
    return {str(user): int(count) for user, count in session.execute(query)}
