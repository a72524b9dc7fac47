"""The ask coach: resolved asks like this one, so people find an answer before they wait for one.

They are listed under the `/ask` confirmation, and under "What do you need?" while the form is
being typed.

Similarity is computed locally: cosine over the asks' normalised words weighted by how rare each
word is among the workspace's recent resolved asks (tf-idf). Only public asks are ever suggested.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.asks.blocks import compose_modal
from app.asks.topics import FILLER
from app.offers.topics import normalize
from app.permalinks import permalink
from app.slackapi.mrkdwn import escape, unescape
from app.slackapi.payloads import Click
from app.store.models import Ask, Workspace
from app.store.statuses import AskStatus

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#.-]{2,}")
RECENT = 500
THRESHOLD = 0.2


@dataclass(frozen=True)
class Similar:
    """A resolved ask worth reading first."""

    ask_id: int
    text: str
    channel_id: str
    message_ts: str
    score: float


def _words(text: str) -> Counter[str]:
    words = (normalize(w) for w in _WORD.findall(re.sub(r"<[^>]*>", " ", text)))
    return Counter(w for w in words if w and w not in FILLER)


def similar(session: Session, team_id: str, text: str, limit: int = 3) -> list[Similar]:
    """Up to `limit` resolved public asks of `team_id` most like `text`, best first."""
    asks = list(
        session.execute(
            select(Ask.id, Ask.text, Ask.channel_id, Ask.message_ts)
            .where(
                Ask.team_id == team_id,
                Ask.status == AskStatus.RESOLVED,
                Ask.channel_is_private.is_(False),
                Ask.message_ts.is_not(None),
            )
            .order_by(Ask.resolved_at.desc())
            .limit(RECENT)
        )
    )
    if not asks:
        return []
    documents = [_words(row.text) for row in asks]
    frequency: Counter[str] = Counter()
    for words in documents:
        frequency.update(set(words))
    total = len(documents) + 1

    def vector(words: Counter[str]) -> dict[str, float]:
        return {w: n * math.log(total / (1 + frequency[w])) + n for w, n in words.items()}

    query = vector(_words(text))
    query_norm = math.sqrt(sum(v * v for v in query.values())) or 1.0
    found = []
    for row, words in zip(asks, documents, strict=True):
        candidate = vector(words)
        dot = sum(value * candidate.get(word, 0.0) for word, value in query.items())
        norm = math.sqrt(sum(v * v for v in candidate.values())) or 1.0
        score = dot / (query_norm * norm)
        if score >= THRESHOLD:
            found.append(Similar(row.id, row.text, row.channel_id, row.message_ts, score))
    return sorted(found, key=lambda s: -s.score)[:limit]


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
