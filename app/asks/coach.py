"""The ask coach: resolved asks like this one, so people find an answer before they wait for one.

They are listed under the `/ask` confirmation, and under "What do you need?" while the form is
being typed.

The whole history is searched through the database's full-text index (`app.store.fulltext`,
which also bounds the work a search does): any of the ask's meaningful words (normal form, filler
dropped) or the spellings the synonym table folds into them, best match first as the index ranks
them. A match sharing too little with the ask (a word-set cosine under THRESHOLD) is not shown.
Only the workspace's resolved public asks that were posted are ever suggested.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.asks.blocks import compose_modal
from app.asks.topics import FILLER
from app.offers.topics import SYNONYMS, normalize
from app.permalinks import permalink
from app.slackapi.mrkdwn import escape, unescape
from app.slackapi.payloads import Click
from app.store import fulltext
from app.store.models import Ask, Workspace
from app.store.statuses import AskStatus

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#.-]{2,}")
THRESHOLD = 0.2
# How many of the index's best matches are read to find `limit` that pass THRESHOLD.
CANDIDATES = 20
# The synonym table read backwards: a normal form to the spellings people type for it.
_TYPED: dict[str, list[str]] = {}
for _typed, _normal in SYNONYMS.items():
    _TYPED.setdefault(_normal, []).append(_typed)


@dataclass(frozen=True)
class Similar:
    """A resolved ask worth reading first."""

    ask_id: int
    text: str
    channel_id: str
    message_ts: str
    # How much of its words it shares with the ask (the word-set cosine THRESHOLD applies to).
    score: float


def _words(text: str) -> Counter[str]:
    """`text`'s meaningful words in normal form, with how often each occurs."""
    typed = _WORD.findall(re.sub(r"<[^>]*>", " ", text))
    # Filler is dropped as typed too: "this" would otherwise become "thi", which no list holds.
    words = (normalize(w) for w in typed if w.lower() not in FILLER)
    return Counter(w for w in words if w and w not in FILLER)


# What may be suggested: a workspace's resolved public asks that were posted. Built once: the
# search built on it is then compiled once per shape (`fulltext.ranked`).
_CANDIDATES = (
    select(Ask.id, Ask.text, Ask.channel_id, Ask.message_ts)
    .where(
        Ask.team_id == bindparam("team_id"),
        Ask.status == AskStatus.RESOLVED,
        Ask.channel_is_private.is_(False),
        Ask.message_ts.is_not(None),
    )
    .limit(CANDIDATES)
)


def similar(session: Session, team_id: str, text: str, limit: int = 3) -> list[Similar]:
    """Up to `limit` resolved public asks of `team_id` most like `text`, best first."""
    query = _words(text)
    if not query:
        return []
    found = []
    for row in fulltext.ranked(session, _CANDIDATES, spellings(query), {"team_id": team_id}):
        score = _overlap(query.keys(), _words(row.text).keys())
        if score >= THRESHOLD:
            found.append(Similar(row.id, row.text, row.channel_id, row.message_ts, score))
            if len(found) == limit:
                break
    return found


def spellings(terms: Iterable[str]) -> list[list[str]]:
    """Each of `terms` as every way of writing it the index should find: its normal form and
    the spellings the synonym table folds into it ("kubernetes" also as "k8s" and "kube")."""
    return [[term, *_TYPED.get(term, ())] for term in sorted(terms)]


def _overlap(query: Collection[str], candidate: Collection[str]) -> float:
    """Cosine of the two word sets: too little in common with a long ask is no suggestion.

    A candidate the index matched shares at least one word, possibly only by its stem
    ("migrating" and "migration"), which the normal form does not fold: it counts as one.
    """
    shared = max(1, len(set(query) & set(candidate)))
    return shared / math.sqrt(len(query) * max(1, len(candidate)))


def suggestions(found: list[Similar], domain: str | None) -> str:
    """The coach's lines under the confirmation (empty when nothing similar was resolved)."""
    if not found:
        return ""
    lines = [
        f"• <{permalink(domain, s.channel_id, s.message_ts)}|"
        f"{escape(unescape(s.text.splitlines()[0]))[:80]}>"
        for s in found
    ]
    return "\n\nAnswered before; one of these may already help:\n" + "\n".join(lines)


def coached_form(session: Session, typed: Click, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The ask form again, with the resolved asks like what is `typed` so far under its field."""
    workspace = session.get(Workspace, typed.team_id)
    found = similar(session, typed.team_id, typed.value)
    shown = suggestions(found, workspace.domain if workspace else None)
    return compose_modal(dict(metadata), shown.strip())
