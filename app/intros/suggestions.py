"""Suggested introductions: the bot notices two people who should meet and asks someone who can
introduce them whether they would like to.

Two rules find them:

1. **New helper** (checked when an ask is resolved with credit, in that transaction): asker A's
   ask on topic T was resolved with credit to helper H, and H had never been credited on any
   earlier ask of A. If another person B asked about T in the last 30 days, B is neither A nor
   H, B and H do not know each other yet, and A and B do know each other, A is asked to introduce
   B and H ("@H just helped you with T; @B asked about T recently: introduce them?"): A knows
   both.
2. **Shared topic** (checked by the scheduled introductions pass: `app.intros.shared_topics`): two
   people A and B each asked at least twice about the same topic T in the last 8 weeks, and a
   third person C actively offers T: C is asked to introduce A and B ("@A and @B both keep
   asking about T, which you offer: introduce them to each other?").

Two people *know each other* when one was credited on an ask of the other, or one thanked the
other with a kudos that still stands (not undone, not revoked).

Common guards: the workspace setting `intro_suggestions` turns both rules off; a person is
suggested at most one introduction in 7 days; never the same two people twice (either way round);
never two people introduced to each other in the last 30 days (`rules.REPEAT_AFTER`) or already
suggested to anyone in that time (two people who could make it are not both asked); never anyone
deactivated, forgotten or a bot, and never the suggested person themselves.

Privacy: only asks from public channels are read, for both rules (the asker's own included), and
a suggestion names the topic only, never an ask's text, so nothing said in a private channel
reaches someone who could not see it.

The suggestion is a DM (outbox key `key(id)`) with "Introduce them" and "No thanks"; their clicks
are `app.intros.suggestion_answers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import islice

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.delivery import outbox
from app.directory.service import get_members
from app.intros import suggestion_blocks as blocks
from app.intros.rules import REPEAT_AFTER
from app.store.models import (
    Ask,
    AskHelper,
    Introduction,
    IntroSuggestion,
    Kudos,
    KudosRecipient,
    Member,
    Workspace,
)
from app.store.statuses import AskStatus
from app.store.upsert import insert_new

# Rule 1: how recently B must have asked about the topic.
RECENTLY_ASKED = timedelta(days=30)
# At most one suggestion per person in this long.
ONCE_A_WEEK = timedelta(days=7)
# Bound on the asks rule 1 reads (newest first), so a busy workspace costs the same.
RECENT_ASKS = 300
# Rule 1 runs before a form's ack: at most this many pairs are tried.
MAX_TRIES = 10
Pairs = set[frozenset[str]]  # two people each, either way round


def key(suggestion_id: int) -> str:
    """The outbox key of the suggestion's DM."""
    return f"intro-suggestion:{suggestion_id}"


def after_credit(
    session: Session, ask: Ask, helpers: Sequence[str], now: datetime
) -> IntroSuggestion | None:
    """Rule 1, as `ask` is resolved with credit to `helpers` (already stored): suggest to its
    asker an introduction of a new helper to someone they know who asked about the same topic;
    return the suggestion made, if any."""
    workspace = _enabled(session, ask.team_id)
    if workspace is None or ask.channel_is_private:
        return None
    if _busy(session, ask.team_id, ask.asker_id, now):
        return None
    # This runs before a form's ack: only the first few pairs are tried.
    for pair, topic in islice(_new_helper_pairs(session, workspace, ask, helpers, now), MAX_TRIES):
        made = suggest(session, ask.team_id, ask.asker_id, pair, blocks.NEW_HELPER, topic, now)
        if made is not None:
            return made
    return None


def _new_helper_pairs(
    session: Session, workspace: Workspace, ask: Ask, helpers: Sequence[str], now: datetime
) -> Iterator[tuple[tuple[str, str], str]]:
    """Each (recent asker, new helper) pair rule 1 allows for `ask`, with its topic: the first
    helper first, then the ask's topics in order, then the most recent asker first."""
    team_id, asker = ask.team_id, ask.asker_id
    candidates = _askers_by_topic(session, ask, now - RECENTLY_ASKED)
    everyone = {p for people in candidates.values() for p in people}
    if not everyone:
        return
    active = active_among(session, workspace, {asker, *helpers, *everyone})
    knows_asker = _acquainted(session, team_id, asker, everyone) & active
    if asker not in active or not knows_asker:
        return
    seen: set[tuple[str, str]] = set()
    suggested = suggested_pairs(session, team_id, now)
    for helper in dict.fromkeys(helpers):
        if helper == asker or helper not in active or _credited_before(session, ask, helper):
            continue
        strangers = knows_asker - {helper} - _acquainted(session, team_id, helper, knows_asker)
        for topic in ask.topics:
            for other in candidates.get(topic, ()):
                pair = (other, helper)
                if other in strangers and pair not in seen:
                    seen.add(pair)
                    if pair_free(session, team_id, pair, now, suggested):
                        yield pair, topic


def suggest(
    session: Session,
    team_id: str,
    to: str,
    pair: tuple[str, str],
    kind: str,
    topic: str,
    now: datetime,
) -> IntroSuggestion | None:
    """Record the suggestion to `to` of introducing `pair` and queue its DM, unless `to` had one
    this week or was already suggested the same two people; return it if made."""
    first, second = pair
    # Holding the person's row serialises suggestions to them (a pass and a resolution, or two
    # passes, at once), so the weekly limit holds; SQLite has one writer anyway.
    session.get(Member, (team_id, to), with_for_update={"key_share": True})
    if _busy(session, team_id, to, now) or _suggested(session, team_id, to, pair):
        return None
    row = {
        "team_id": team_id,
        "suggested_to": to,
        "first_id": first,
        "second_id": second,
        "kind": kind,
        "topic": topic[:80],
        "created_at": now,
    }
    unique = ["team_id", "suggested_to", "first_id", "second_id"]
    if not insert_new(session, IntroSuggestion, row, key=unique):
        return None
    suggestion = session.scalars(
        select(IntroSuggestion).where(
            *(getattr(IntroSuggestion, column) == row[column] for column in unique)
        )
    ).one()
    outbox.queue(
        session,
        team_id=team_id,
        method="dm",
        args={"user": to, **blocks.suggestion(suggestion.id, kind, first, second, topic)},
        dedupe_key=key(suggestion.id),
        now=now,
    )
    return suggestion


def _enabled(session: Session, team_id: str) -> Workspace | None:
    """The workspace, if it is active and has suggestions on."""
    workspace = session.get(Workspace, team_id)
    if workspace is None or not workspace.active or not workspace.intro_suggestions:
        return None
    return workspace


def active_among(session: Session, workspace: Workspace, people: Iterable[str]) -> set[str]:
    """Those of `people` the directory knows as active people: not deactivated, not forgotten,
    not a bot."""
    found = get_members(session, workspace.team_id, people)
    return {
        user_id
        for user_id, member in found.items()
        if not member.deleted
        and member.forgotten_at is None
        and not member.is_bot
        and user_id != workspace.bot_user_id
    }


def _busy(session: Session, team_id: str, person: str, now: datetime) -> bool:
    """Whether `person` was suggested an introduction in the last 7 days."""
    return _any(
        session,
        IntroSuggestion.team_id == team_id,
        IntroSuggestion.suggested_to == person,
        IntroSuggestion.created_at > now - ONCE_A_WEEK,
    )


def _suggested(session: Session, team_id: str, to: str, pair: tuple[str, str]) -> bool:
    """Whether `to` was ever suggested introducing these two, either way round."""
    return _any(
        session,
        IntroSuggestion.team_id == team_id,
        IntroSuggestion.suggested_to == to,
        _between(IntroSuggestion.first_id, IntroSuggestion.second_id, pair),
    )


def pair_free(
    session: Session, team_id: str, pair: tuple[str, str], now: datetime, suggested: Pairs
) -> bool:
    """Whether these two were neither introduced in the last 30 days nor are in `suggested`."""
    return frozenset(pair) not in suggested and not _any(
        session,
        Introduction.team_id == team_id,
        _between(Introduction.first_id, Introduction.second_id, pair),
        Introduction.created_at >= now - REPEAT_AFTER,
    )


def suggested_pairs(session: Session, team_id: str, now: datetime) -> Pairs:
    """Pairs suggested to anyone in the last 30 days (read once: no index finds a pair)."""
    query = select(IntroSuggestion.first_id, IntroSuggestion.second_id).where(
        IntroSuggestion.team_id == team_id, IntroSuggestion.created_at >= now - REPEAT_AFTER
    )
    return {frozenset(row) for row in session.execute(query)}


def _between(
    first: InstrumentedAttribute[str], second: InstrumentedAttribute[str], pair: tuple[str, str]
) -> ColumnElement[bool]:
    """The two columns hold `pair`, either way round."""
    one, other = pair
    return or_(and_(first == one, second == other), and_(first == other, second == one))


def _any(session: Session, *where: ColumnElement[bool]) -> bool:
    """Whether any row matches `where`."""
    return bool(session.scalar(select(exists().where(*where))))


def public_asks(team_id: str, since: datetime, limit: int) -> Select[str, list[str]]:
    """Who asked what about, newest first: the workspace's asks from public channels since
    `since` that were posted (read through the (team_id, created_at) index, at most `limit`)."""
    return (
        select(Ask.asker_id, Ask.topics)
        .where(
            Ask.team_id == team_id,
            Ask.created_at >= since,
            Ask.channel_is_private.is_(False),
            Ask.status != AskStatus.DISCARDED,
        )
        .order_by(Ask.created_at.desc(), Ask.id.desc())
        .limit(limit)
    )


def _askers_by_topic(session: Session, ask: Ask, since: datetime) -> dict[str, list[str]]:
    """For each topic of `ask`, the other people who asked about it since `since`, most recent
    first."""
    wanted = set(ask.topics)
    query = public_asks(ask.team_id, since, RECENT_ASKS).where(Ask.asker_id != ask.asker_id)
    found: dict[str, dict[str, None]] = {}
    for asker_id, topics in session.execute(query):
        for topic in topics or ():
            if topic in wanted:
                found.setdefault(topic, {})[asker_id] = None
    return {topic: list(people) for topic, people in found.items()}


def _acquainted(session: Session, team_id: str, person: str, others: Iterable[str]) -> set[str]:
    """Those of `others` who know `person`: credited on an ask one of the other, or thanked one
    by the other with a kudos that stands."""
    others = set(others)
    if not others:
        return set()
    credited = select(AskHelper.helper_id, AskHelper.asker_id).where(
        AskHelper.team_id == team_id,
        or_(
            and_(AskHelper.helper_id == person, AskHelper.asker_id.in_(others)),
            and_(AskHelper.helper_id.in_(others), AskHelper.asker_id == person),
        ),
    )
    thanked = (
        select(KudosRecipient.giver_id, KudosRecipient.recipient_id)
        .join(Kudos, Kudos.id == KudosRecipient.kudos_id)
        .where(
            KudosRecipient.team_id == team_id,
            or_(
                and_(KudosRecipient.giver_id == person, KudosRecipient.recipient_id.in_(others)),
                and_(KudosRecipient.giver_id.in_(others), KudosRecipient.recipient_id == person),
            ),
            Kudos.undone_at.is_(None),
            Kudos.revoked_at.is_(None),
        )
    )
    known = set()
    for query in (credited, thanked):
        for one, other in session.execute(query):
            known.add(other if one == person else one)
    return known & others


def _credited_before(session: Session, ask: Ask, helper: str) -> bool:
    """Whether `helper` was credited on any other ask of `ask`'s asker."""
    return _any(
        session,
        AskHelper.team_id == ask.team_id,
        AskHelper.helper_id == helper,
        AskHelper.asker_id == ask.asker_id,
        AskHelper.ask_id != ask.id,
    )
