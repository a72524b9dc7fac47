"""The statements a claim reads due outbox rows with: built once, bound each round.

Building a statement costs more Python than running it. `FOR UPDATE SKIP LOCKED` lets replicas
share the queue on PostgreSQL (SQLite renders none).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, select

from app.delivery.followers import with_followed
from app.store.models import OutboxMessage, Workspace
from app.store.statuses import OutboxStatus

_OUTBOX = cast(Table, OutboxMessage.__table__)
_WORKSPACES = cast(Table, Workspace.__table__)
# What a claim reads of each due row, as plain rows (no ORM objects, no identity map).
_COLUMNS = tuple(
    _OUTBOX.c[name]
    for name in (
        "id",
        "team_id",
        "dedupe_key",
        "method",
        "args",
        "pace_key",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "lease_expires_at",
        "last_error",
        "after_key",
        "after_failed_args",
    )
)


def _rows(*where: Any) -> Any:
    """Up to `b_limit` rows of active workspaces that meet `where`, oldest due first, leased to
    this transaction, each with what a follower needs of the row it follows."""
    # Chosen and locked by id alone, then read whole: the database may sort every due row to
    # choose (a fresh table's statistics promise it a few), and sorting ids is cheap where
    # sorting whole rows, their arguments and blocks, was most of a round's time.
    chosen = (
        select(_OUTBOX.c.id)
        .select_from(_OUTBOX.join(_WORKSPACES, _WORKSPACES.c.team_id == _OUTBOX.c.team_id))
        .where(_WORKSPACES.c.active.is_(True), *where)
        .order_by(_OUTBOX.c.next_attempt_at, _OUTBOX.c.id)
        .limit(bindparam("b_limit"))
        .with_for_update(skip_locked=True, of=_OUTBOX)
        .cte("chosen")
    )
    due = (
        select(*_COLUMNS, _WORKSPACES.c.domain)
        .select_from(
            chosen.join(_OUTBOX, _OUTBOX.c.id == chosen.c.id).join(
                _WORKSPACES, _WORKSPACES.c.team_id == _OUTBOX.c.team_id
            )
        )
        .cte("due")
    )
    return with_followed(due).order_by(due.c.next_attempt_at, due.c.id)


_NOW = bindparam("b_now", type_=_OUTBOX.c.next_attempt_at.type)
# The waiting rows of active workspaces whose time came, oldest due first.
PENDING_ROWS = _rows(_OUTBOX.c.status == OutboxStatus.PENDING, _OUTBOX.c.next_attempt_at <= _NOW)
# The leased rows of active workspaces whose lease ran out (a worker stopped mid-call), but
# those the worker still holds.
LAPSED_ROWS = _rows(
    _OUTBOX.c.status == OutboxStatus.SENDING,
    _OUTBOX.c.lease_expires_at < _NOW,
    _OUTBOX.c.id.not_in(bindparam("b_held", expanding=True, type_=_OUTBOX.c.id.type)),
)
