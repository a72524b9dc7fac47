"""The introductions pass: what happens to introductions on a schedule, as a list of steps.

Each step is a function `(session, now) -> int` (how many things it did), run in a transaction
of its own, so one step's failure rolls back only its own work and the steps after it still run.
Every step claims what it does in the database, so passes may overlap, crash and rerun freely.
A new step (suggestions, say) is one more line in `STEPS`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app.intros.expiry import expire_due
from app.intros.follow_ups import follow_up_due
from app.intros.shared_topics import suggest_shared_topics
from app.store.db import SessionFactory, transaction

log = logging.getLogger(__name__)

Step = Callable[[Session, datetime], int]

# In order: an introduction that expired is withdrawn before anything else looks at it.
STEPS: tuple[tuple[str, Step], ...] = (
    ("expired", expire_due),
    ("followed up", follow_up_due),
    ("suggested", suggest_shared_topics),
)


@dataclass
class IntroPassResult:
    """What one pass did, by step name; and the steps that failed (logged, retried next pass)."""

    done: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)


def run_pass(
    sessions: SessionFactory, now: datetime, steps: Sequence[tuple[str, Step]] = STEPS
) -> IntroPassResult:
    """Run each step once as of `now`, each in its own transaction; a step that raises is
    logged and named in `failed`, and the next step still runs."""
    result = IntroPassResult()
    for name, step in steps:
        try:
            with transaction(sessions) as session:
                result.done[name] += step(session, now)
        except Exception:
            # Expiry must not wait on a broken follow-up (or the other way round).
            log.exception("introductions pass: step %r failed; the next pass retries", name)
            result.failed.append(name)
    return result
