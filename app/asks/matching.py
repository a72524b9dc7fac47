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

Matching works on a batch of asks at once (the nudge pass has many due; `/ask` has one) in three
statements per workspace, however many asks: the offers on every spelling of their topics, the
credited help of the history window, and what is known of everyone who scored (away, matched
lately, already told). Caps and rotation are then applied ask by ask in Python, counting the
people each ask chose, so a batch decides exactly as the same asks one after another would.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from app.asks import topics as ask_topics
from app.offers.topics import spellings
from app.store import core
from app.store.among import among
from app.store.direct import DirectStatement
from app.store.models import Ask, AskHelper, AskMatch, Member, Offer, Workspace

OFFER_WEIGHT = 1.0
HELPED_WEIGHT = 1.5
HISTORY = timedelta(days=180)
FAIRNESS_WINDOW = timedelta(days=7)
CAP_WINDOW = timedelta(days=1)


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
    bind = core.connection(session)
    rows = _offered_query(bind.dialect.name).rows(bind, {"team_id": team_id, "forms": forms})
    return {forms[topic] for topic, active in rows if active}


def rank(session: Session, ask: Ask, now: datetime) -> list[Candidate]:
    """Every eligible person for `ask`, best first (no caps applied)."""
    team = _Team.load(session, ask.team_id, [ask], now)
    return team.ranked(ask, team.scores[0])


def choose(session: Session, ask: Ask, now: datetime, limit: int | None = None) -> list[Candidate]:
    """The next people to tell about `ask`: ranked, within the per-ask and per-day caps."""
    return choose_all(session, [ask], now, [limit])[0]


def choose_all(
    session: Session, asks: Sequence[Ask], now: datetime, limits: Sequence[int | None]
) -> list[list[Candidate]]:
    """For each of `asks`, the next people to tell (at most its limit in `limits`, None for the
    workspace's number per ask): as `choose` would decide for them one after another, each ask's
    choices counting towards the rotation and daily cap of the asks after it."""
    chosen: list[list[Candidate]] = [[] for _ in asks]
    by_team: dict[str, list[int]] = {}
    for n, ask in enumerate(asks):
        by_team.setdefault(ask.team_id, []).append(n)
    for team_id, indexes in by_team.items():
        team = _Team.load(session, team_id, [asks[n] for n in indexes], now)
        for k, n in enumerate(indexes):
            chosen[n] = team.choose(asks[n], team.scores[k], limits[n])
    return chosen


@dataclass
class _Scores:
    """One ask's scorers: their score, the topics they offered and those they helped on."""

    score: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    offered: dict[str, set[str]] = field(default_factory=dict)
    helped: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class _Team:
    """One workspace's asks of a batch, scored, and what is known of the people who scored."""

    workspace: Workspace
    scores: list[_Scores]
    away: set[str] = field(default_factory=set)
    week: dict[str, int] = field(default_factory=dict)
    day: dict[str, int] = field(default_factory=dict)
    told: dict[int, set[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, team_id: str, asks: Sequence[Ask], now: datetime) -> _Team:
        """Score `asks` (all of `team_id`) and load the facts about their scorers."""
        workspace = session.get_one(Workspace, team_id)
        team = cls(workspace, _score(session, workspace, asks, now))
        people = {user for scores in team.scores for user in scores.score}
        if people:
            team._know(session, people, [a.id for a in asks if a.id is not None], now)
        return team

    def _know(self, session: Session, people: set[str], ask_ids: list[int], now: datetime) -> None:
        """Who among `people` is away, how often each was matched lately, and who was already
        told of `ask_ids`: one statement."""
        week, day = now - FAIRNESS_WINDOW, now - CAP_WINDOW
        params: dict[str, Any] = {"team_id": self.workspace.team_id, "people": people}
        params |= {"week": week, "day": day, "since": min(week, day)}
        if ask_ids:
            params["ask_ids"] = ask_ids
        bind = core.connection(session)
        query = _facts_query(bind.dialect.name, told=bool(ask_ids))
        for fact, user_id, a, b in query.rows(bind, params):
            if fact == "away":
                self.away.add(user_id)
            elif fact == "count":
                self.week[user_id], self.day[user_id] = int(a), int(b)
            else:
                self.told.setdefault(int(a), set()).add(user_id)

    def ranked(self, ask: Ask, scores: _Scores) -> list[Candidate]:
        """Every eligible person for `ask`, best first: highest score, then least asked lately."""
        return [_candidate(u, scores) for u in self._order(ask, scores)]

    def _order(self, ask: Ask, scores: _Scores) -> list[str]:
        """The ids of `ranked`, in its order."""
        excluded = {ask.asker_id, ask.answered_by, ask.claimed_by}
        excluded |= self.told.get(ask.id, set()) if ask.id is not None else set()
        people = [u for u in scores.score if u not in excluded and u not in self.away]
        people.sort(key=lambda u: (-scores.score[u], self.week.get(u, 0), u))
        return people

    def choose(self, ask: Ask, scores: _Scores, limit: int | None) -> list[Candidate]:
        """The next people to tell about `ask`, within the caps; counted as matched now."""
        wanted = self.workspace.matches_per_ask if limit is None else limit
        cap = self.workspace.expert_daily_cap
        people = [u for u in self._order(ask, scores) if self.day.get(u, 0) < cap][:wanted]
        for u in people:
            self.week[u] = self.week.get(u, 0) + 1
            self.day[u] = self.day.get(u, 0) + 1
        return [_candidate(u, scores) for u in people]


def _score(
    session: Session, workspace: Workspace, asks: Sequence[Ask], now: datetime
) -> list[_Scores]:
    """Each ask's scorers, from one query for the offers on all their topics and one for the
    help credited in the history window."""
    declared = [set(ask_topics.shown(ask.topics or [])) for ask in asks]
    forms = [
        stored_forms(ask_topics.candidates(ask.text) | mine)
        for ask, mine in zip(asks, declared, strict=True)
    ]
    wanted = {form for mine in forms for form in mine}
    scores = [_Scores() for _ in asks]
    if not wanted:
        return scores
    # Offers nobody confirmed within the confirmation period and its grace stop matching.
    fresh = now - timedelta(days=workspace.offer_confirm_days + workspace.offer_grace_days)
    # Only (team, topic) is asked of the database, so the planner seeks that index once per form
    # instead of scanning every fresh offer; the few inactive or stale rows are dropped here.
    bind = core.connection(session)
    rows = _offers_query(bind.dialect.name).rows(
        bind, {"team_id": workspace.team_id, "forms": wanted}
    )
    by_form: dict[str, set[str]] = {}
    for user_id, form, active, confirmed_at in rows:
        if active and confirmed_at >= fresh:
            by_form.setdefault(form, set()).add(user_id)
    helped = _Helped.load(session, workspace.team_id, now)
    for ask, mine, ask_forms, found in zip(asks, declared, forms, scores, strict=True):
        if not ask_forms:
            continue  # nothing in it could name a topic: nobody to tell
        offers = {(u, topic) for form, topic in ask_forms.items() for u in by_form.get(form, ())}
        vocabulary = {topic for _, topic in offers}
        named = set(ask_topics.mentioned(ask.text, vocabulary | ask_topics.KNOWN))
        topics = mine | set(ask_topics.tags(ask.text)) | named
        for user_id, topic in offers:
            if topic in topics:
                found.score[user_id] += OFFER_WEIGHT
                found.offered.setdefault(user_id, set()).add(topic)
        for user_id, shared in helped.sharing(topics):
            found.score[user_id] += HELPED_WEIGHT
            found.helped.setdefault(user_id, set()).update(shared)
    return scores


@dataclass
class _Helped:
    """Help credited in the history window: each credit's helper and its ask's topics, indexed
    by topic so an ask visits only the credits it shares a topic with."""

    credits: list[tuple[str, frozenset[str]]]
    by_topic: dict[str, list[int]]

    @classmethod
    def load(cls, session: Session, team_id: str, now: datetime) -> _Helped:
        """The help credited in `team_id` within `HISTORY` of `now`."""
        rows = _HELPED.rows(core.connection(session), {"team_id": team_id, "since": now - HISTORY})
        credits = [(user_id, frozenset(ask_topics.shown(past or []))) for user_id, past in rows]
        by_topic: dict[str, list[int]] = {}
        for n, (_, past) in enumerate(credits):
            for topic in past:
                by_topic.setdefault(topic, []).append(n)
        return cls(credits, by_topic)

    def sharing(self, topics: set[str]) -> list[tuple[str, set[str]]]:
        """Each credit on a topic among `topics`: its helper and the topics shared, in order."""
        hits = sorted({n for topic in topics for n in self.by_topic.get(topic, ())})
        return [(self.credits[n][0], topics & self.credits[n][1]) for n in hits]


def _candidate(user_id: str, scores: _Scores) -> Candidate:
    """A candidate whose help-given topics leave out what they also offered."""
    offered = scores.offered.get(user_id, set())
    helped = scores.helped.get(user_id, set())
    # Said as "which you offered" only for what they offered; help given is said as such.
    return Candidate(
        user_id, scores.score[user_id], tuple(sorted(offered)), tuple(sorted(helped - offered))
    )


# The statements are built once (per dialect) and bound on each call: building and hashing them
# cost more than running them. They run on the driver's cursor (`direct`): an `/ask` runs all four.
_HELPED = DirectStatement(
    select(AskHelper.helper_id, Ask.topics)
    .join(Ask, Ask.id == AskHelper.ask_id)
    .where(AskHelper.team_id == bindparam("team_id"), AskHelper.credited_at >= bindparam("since"))
)


@functools.cache
def _offered_query(dialect: str) -> DirectStatement:
    """The topics among the spellings `forms` offered in `team_id`, and whether actively."""
    return DirectStatement(
        select(Offer.topic, Offer.active)
        .distinct()
        .where(Offer.team_id == bindparam("team_id"), among(dialect, Offer.topic, "forms"))
    )


@functools.cache
def _offers_query(dialect: str) -> DirectStatement:
    """Every offer in `team_id` on one of the spellings `forms`."""
    return DirectStatement(
        select(Offer.user_id, Offer.topic, Offer.active, Offer.confirmed_at).where(
            Offer.team_id == bindparam("team_id"), among(dialect, Offer.topic, "forms")
        )
    )


@functools.cache
def _facts_query(dialect: str, *, told: bool) -> DirectStatement:
    """What is known of `people` in `team_id`, a row per fact: ("away", user, 0, 0) for the
    deactivated, bots and opted out; ("count", user, matches since `week`, since `day`) for those
    matched since `since`; and with `told`, ("told", user, ask, 0) for each of `ask_ids`' matches.
    """
    away = select(
        literal("away").label("fact"),
        Member.user_id,
        literal(0).label("a"),
        literal(0).label("b"),
    ).where(
        Member.team_id == bindparam("team_id"),
        among(dialect, Member.user_id, "people"),
        Member.deleted.is_(True) | Member.is_bot.is_(True) | Member.nudges_opt_out.is_(True),
    )
    counts = (
        select(
            literal("count"),
            AskMatch.user_id,
            func.sum(case((AskMatch.matched_at >= bindparam("week"), 1), else_=0)),
            func.sum(case((AskMatch.matched_at >= bindparam("day"), 1), else_=0)),
        )
        .where(
            AskMatch.team_id == bindparam("team_id"),
            among(dialect, AskMatch.user_id, "people"),
            AskMatch.matched_at >= bindparam("since"),
        )
        .group_by(AskMatch.user_id)
    )
    if not told:
        return DirectStatement(union_all(away, counts))
    already = select(literal("told"), AskMatch.user_id, AskMatch.ask_id, literal(0)).where(
        among(dialect, AskMatch.ask_id, "ask_ids")
    )
    return DirectStatement(union_all(away, counts, already))
