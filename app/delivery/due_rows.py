"""The statements a claim reads due outbox rows with: built once, bound each round.

Building a statement costs more Python than running it. `FOR UPDATE SKIP LOCKED` lets replicas
share the queue on PostgreSQL (SQLite renders none). The waiting rows' statement also says when
the rows it does not read come due, so a round that read every due row knows how long it may
sleep without a statement of its own for that.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, select, true

from app.delivery.followers import with_followed
from app.store.models import OutboxMessage, Workspace
from app.store.statuses import OutboxStatus, written_status

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
    """Up to `b_limit` rows of active workspaces that meet `where`, leased to this transaction,
    each with what a follower needs of the row it follows (unordered)."""
    # Chosen and locked by id alone, then read whole: the database may sort every due row to
    # choose (a fresh table's statistics promise it a few), and sorting ids is cheap where
    # sorting whole rows, their arguments and blocks, was most of a round's time.
    # The workspace's domain comes with the choice: each join is planning time, which
    # PostgreSQL spends whenever it plans the claim afresh.
    chosen = (
        select(_OUTBOX.c.id, _WORKSPACES.c.domain)
        .select_from(_OUTBOX.join(_WORKSPACES, _WORKSPACES.c.team_id == _OUTBOX.c.team_id))
        .where(_WORKSPACES.c.active.is_(True), *where)
        .order_by(_OUTBOX.c.next_attempt_at, _OUTBOX.c.id)
        .limit(bindparam("b_limit"))
        .with_for_update(skip_locked=True, of=_OUTBOX)
        .cte("chosen")
    )
    due = (
        select(*_COLUMNS, chosen.c.domain)
        .select_from(chosen.join(_OUTBOX, _OUTBOX.c.id == chosen.c.id))
        .cte("due")
    )
    return with_followed(due)


def _next_due() -> Any:
    """One row: the earliest next attempt of a waiting row after `b_now` (`next_waiting`), and
    the earliest lease of a row another worker than `b_worker` holds (`next_lease`).

    Of any workspace: a row of an inactive one costs at most a round that finds nothing at its
    time, where joining the workspaces costs planning time whenever the claim is planned.
    Each is the first row of its index in order rather than a `min()`: PostgreSQL plans an
    aggregate it can answer from an index twice (as the aggregate, and as the index's first
    row), and the two were a third of planning the whole claim (planned at every round until
    the rounds kept their plans, `round_plans`; still on pooled connections)."""
    waiting = (
        select(_OUTBOX.c.next_attempt_at)
        .where(
            written_status(_OUTBOX.c.status, OutboxStatus.PENDING),
            _OUTBOX.c.next_attempt_at > _NOW,
        )
        .order_by(_OUTBOX.c.next_attempt_at)
        .limit(1)
    )
    leases = (
        select(_OUTBOX.c.lease_expires_at)
        .where(
            written_status(_OUTBOX.c.status, OutboxStatus.SENDING),
            # SQLite sorts NULLs first, where `min()` skips them.
            _OUTBOX.c.lease_expires_at.is_not(None),
            # The rows this worker leased are its own to record, not to wait for. (One whose
            # result it gave up recording lapses unwatched: the lapsed-lease look finds it.)
            _OUTBOX.c.claimed_by.is_distinct_from(
                bindparam("b_worker", type_=_OUTBOX.c.claimed_by.type)
            ),
        )
        .order_by(_OUTBOX.c.lease_expires_at)
        .limit(1)
    )
    return select(
        waiting.scalar_subquery().label("next_waiting"),
        leases.scalar_subquery().label("next_lease"),
    ).subquery("next_due")


_NOW = bindparam("b_now", type_=_OUTBOX.c.next_attempt_at.type)


def _pending_rows() -> Any:
    """The waiting rows of active workspaces whose time came, oldest due first, each beside
    `_next_due`'s two columns; a single row of NULLs beside them when none is due."""
    claim = _rows(
        written_status(_OUTBOX.c.status, OutboxStatus.PENDING), _OUTBOX.c.next_attempt_at <= _NOW
    ).subquery("claim")
    later = _next_due()
    # Joined to the one row of next-due times, so the answer has that row even when no row is
    # due: the round learns both in one round trip.
    return (
        select(claim, later.c.next_waiting, later.c.next_lease)
        .select_from(later.outerjoin(claim, true()))
        .order_by(claim.c.next_attempt_at, claim.c.id)
    )


PENDING_ROWS = _pending_rows()
# The leased rows of active workspaces whose lease ran out (a worker stopped mid-call), but
# those the worker still holds, oldest due first.
_LAPSED = _rows(
    written_status(_OUTBOX.c.status, OutboxStatus.SENDING),
    _OUTBOX.c.lease_expires_at < _NOW,
    _OUTBOX.c.id.not_in(bindparam("b_held", expanding=True, type_=_OUTBOX.c.id.type)),
).subquery("lapsed")
LAPSED_ROWS = select(_LAPSED).order_by(_LAPSED.c.next_attempt_at, _LAPSED.c.id)
