"""Claiming due outbox rows: each that may go now is leased to this worker, the rest put off.

Claims are leases: a row is `sending` with an expiry, so a worker that dies mid-batch leaves rows
another worker takes up once the lease runs out. On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`,
so any number of replicas share one queue; SQLite serves one process.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.delivery.config import WorkerConfig
from app.delivery.due_rows import LAPSED_ROWS, PENDING_ROWS
from app.delivery.followers import Followed, followed, follower_args
from app.delivery.group_dms import OPENS_FIRST
from app.delivery.pacing import Pacer
from app.delivery.records import Recorder
from app.delivery.sender import LOOKED_FOR, LOOKUP_METHODS, UNSURE, api_method, marked_unsure
from app.delivery.uploads import UPLOAD_METHODS, attach_contents
from app.delivery.wakeup import earliest
from app.store.core import Work
from app.store.db import is_sqlite
from app.store.direct import DirectStatement
from app.store.models import OutboxMessage, Workspace
from app.store.statuses import OutboxStatus, written_unfinished

_OUTBOX = cast(Table, OutboxMessage.__table__)
# A claimed or put-off row's new state: column, and its parameter's name.
_MOVED = (
    ("status", "b_status"),
    ("claimed_by", "b_claimed_by"),
    ("lease_expires_at", "b_lease"),
    ("attempts", "b_attempts"),
    ("next_attempt_at", "b_next"),
    ("last_error", "b_error"),
)
# Writes one claimed or put-off row's new state: run with every such row of a round at once
# (an executemany: SQLite runs it in one call).
_MOVE = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id", type_=_OUTBOX.c.id.type))
    .values(
        {
            _OUTBOX.c[column]: bindparam(name, type_=_OUTBOX.c[column].type)
            for column, name in _MOVED
        }
    )
)
# On PostgreSQL, every row of a round in one statement with one array per column (an
# executemany is a statement per row there); its text is the same however many rows.
_MOVED_ROWS = (
    func.unnest(
        bindparam("b_id", type_=ARRAY(_OUTBOX.c.id.type)),
        *(bindparam(name, type_=ARRAY(_OUTBOX.c[column].type)) for column, name in _MOVED),
    )
    .table_valued("id", *(column for column, _ in _MOVED), name="moved")
    .render_derived()
)
_MOVE_ALL = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == _MOVED_ROWS.c.id)
    .values({_OUTBOX.c[column]: _MOVED_ROWS.c[column] for column, _ in _MOVED})
)
# A round's statements on the driver's cursor (`direct`); not the lapsed look's (an IN list).
_CLAIM = DirectStatement(PENDING_ROWS)
_MOVE_EACH = DirectStatement(_MOVE)
_MOVE_ROWS = DirectStatement(_MOVE_ALL)


@dataclass
class Claimed:
    """One leased row's call, read out of its transaction for a sending thread."""

    id: int
    team_id: str
    method: str
    args: dict[str, Any]
    dedupe_key: str
    # Set when an earlier attempt may have posted: look for messages since then before posting.
    look_since: datetime | None = None
    # The channel whose limit paces the call, if any.
    pace_key: str | None = None
    # The follower claimed with this row, to be sent by the same sender right after it, its
    # `$after.*` placeholders filled from the outcome of the row it follows (see `Claims.take`).
    then: Claimed | None = None
    # A follower's: the key of the row it follows, and its workspace's domain (for the
    # permalink to that row).
    follows: str | None = None
    domain: str | None = None

    def chain(self) -> Iterator[Claimed]:
        """This row, then each follower claimed behind it, in the order they go."""
        row: Claimed | None = self
        while row is not None:
            yield row
            row = row.then


@dataclass
class _Due:
    """A due row as the claim read it, and the state the round gives it (written at the end)."""

    id: int
    team_id: str
    dedupe_key: str
    method: str
    args: dict[str, Any]
    pace_key: str | None
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    lease_expires_at: datetime | None
    last_error: str | None
    after_key: str | None
    after_failed_args: dict[str, Any] | None
    followed: Followed | None
    claimed_by: str | None = None
    failed: bool = False


@dataclass
class Claims:
    """Leases due rows to the worker named `worker_id`, paced, ordered and rendered."""

    worker_id: str
    config: WorkerConfig
    pacer: Pacer
    renderers: Mapping[str, outbox.Renderer]
    # Fails rows that cannot go at all, and puts off those that must wait.
    recorder: Recorder
    # When to look for lapsed leases next: they appear only when a worker dies, so they are looked
    # for a quarter lease at a time (a dead worker's rows wait at most 1.25 leases), not each round.
    _lapsed_due: datetime | None = field(default=None, init=False, repr=False)
    # Whether the last `take` read as many due rows as it could take: more may be due at once.
    # (It may have put some of them off, so fewer claimed does not mean none are left.)
    read_all_it_could: bool = field(default=False, init=False)
    # When, as the last `take` saw it, the next row of an active workspace may be claimed: a
    # waiting row's next attempt (one it put off among them) or another worker's lease running
    # out; None if none is known. Meaningful only when it did not read all it could.
    next_due: datetime | None = field(default=None, init=False)

    @property
    def lapsed_look(self) -> datetime | None:
        """When `take` next looks for lapsed leases (None: at its next call)."""
        return self._lapsed_due

    def take(
        self, unit: Work, limit: int, now: datetime, held: frozenset[int] = frozenset()
    ) -> list[Claimed]:
        """Lease up to `limit` due rows of active workspaces in `unit`'s transaction, but
        none of the rows the worker still `held` (its own, leased and not yet recorded).

        One statement reads the due rows with what each follower needs of the row it follows
        (and when the rows it does not read come due: `next_due`), one writes every claimed or
        put-off row; a row that fails for good goes through the ORM session (with the notice it
        queues)."""
        # Waiting rows and lapsed leases apart, each in its index's order: one query with both
        # made the database sort every due row on every round.
        queries = [PENDING_ROWS]
        every = timedelta(seconds=self.config.lease_seconds / 4)
        # A clock set back looks at once rather than waiting for the time it had reached.
        if self._lapsed_due is None or not self._lapsed_due - every <= now < self._lapsed_due:
            queries.append(LAPSED_ROWS)
            self._lapsed_due = now + every
        bind = unit.connection
        rows: list[_Due] = []
        bound = {"b_now": now, "b_limit": limit, "b_held": sorted(held), "b_worker": self.worker_id}
        waiting = lease = None
        for query in queries:
            found = (
                _CLAIM.rows(bind, bound) if query is PENDING_ROWS else bind.execute(query, bound)
            )
            for read in found:
                if query is PENDING_ROWS:
                    waiting, lease = read.next_waiting, read.next_lease
                if read.id is not None:
                    rows.append(_due(read))
        self.read_all_it_could = len(rows) >= limit
        # Oldest due first; a row left over stays as it was (locked until this transaction ends).
        rows = sorted(rows, key=lambda row: (row.next_attempt_at, row.id))[:limit]
        claimed: list[Claimed] = []
        # This round's claims by key: a follower of one goes with it (`_leader`).
        by_key: dict[tuple[str, str], Claimed] = {}
        # How many rows of each channel this round put off: each waits for a slot of its own,
        # so a channel's backlog is read again once per slot, not once per second per row.
        put_off: dict[tuple[str, str], int] = {}
        # This round's rows by key: a follower of one sees the state the round gave it.
        this_round = {(row.team_id, row.dedupe_key): row for row in rows}
        for row in rows:
            leader = _leader(row, by_key)
            ready = self._admit(unit, row, now, put_off, this_round, leader is not None)
            if ready is None:
                continue
            by_key[(row.team_id, row.dedupe_key)] = ready
            if leader is not None:
                leader.then = ready
            else:
                claimed.append(ready)
        # Claimed or put off, every row that did not fail for good is written in one statement
        # (those that failed went through the session, with the notices they queued).
        moved = [row for row in rows if not row.failed]
        if moved:
            _move(unit.connection, moved)
        # Files to upload are read only now, for the rows claimed (one statement, if any).
        attach_contents(unit.connection, claimed)
        # The statement saw the rows it did not read; this round's own put-off rows it saw as due.
        later = [row.next_attempt_at for row in rows if row.status == OutboxStatus.PENDING]
        if waiting is not None:
            later.append(waiting)
        self.next_due = earliest(min(later, default=None), lease, now, self._lapsed_due)
        return claimed

    def _admit(
        self,
        unit: Work,
        row: _Due,
        now: datetime,
        put_off: dict[tuple[str, str], int],
        this_round: dict[tuple[str, str], _Due],
        chained: bool = False,
    ) -> Claimed | None:
        """Claim `row` if it may go now; otherwise move its next attempt to when it may, behind
        the rows of its channel `put_off` already counts (and count it). A `chained` follower's
        arguments are left for its sender to fill in, after the call it follows."""
        if (
            row.status == OutboxStatus.SENDING
            and row.method in LOOKED_FOR
            and not marked_unsure(row.last_error)
        ):
            # The worker that claimed it stopped mid-call: Slack may have its post. Recorded on the
            # row, so a deferral below does not forget it.
            row.last_error = UNSURE + "the worker sending it stopped"
            # Its lease ran out, but its call may still be under way at Slack (a lease shorter
            # than the call's timeout): look no sooner than after any unsure attempt. A worker
            # starts a leased call only while half the lease is left, so the call may have
            # started as late as the lease's midpoint; the wait counts from there.
            if row.lease_expires_at is not None:
                latest_start = row.lease_expires_at - timedelta(
                    seconds=self.config.lease_seconds / 2
                )
                look_at = latest_start + timedelta(seconds=self.config.unsure_wait_seconds)
                if look_at > now:
                    self._retry_at(row, look_at)
                    return None
        args = row.args
        if row.after_key is not None and not chained:
            before = row.followed
            moved = this_round.get((row.team_id, row.after_key))
            if before is not None and moved is not None:
                # Read before this round moved it (claimed it, put it off, failed it).
                before = replace(before, status=moved.status, next_attempt_at=moved.next_attempt_at)
            followed_args = follower_args(args, row.after_failed_args, before, now)
            if followed_args is None:
                self._fail(unit.session, row, "the message it follows was not delivered", now)
                return None
            if isinstance(followed_args, datetime):
                row.status = OutboxStatus.PENDING
                row.next_attempt_at = followed_args
                return None
            args = followed_args
        if outbox.RENDER in args:
            render = self.renderers.get(str(args[outbox.RENDER]))
            if render is None:
                self._fail(unit.session, row, f"no renderer {args[outbox.RENDER]!r}", now)
                return None
            args = render(unit.session, row.team_id, args, now)
        wait = self._pace(row)
        if wait > 0:
            if row.pace_key is not None:
                ahead = put_off.get((row.team_id, row.pace_key), 0)
                put_off[(row.team_id, row.pace_key)] = ahead + 1
                wait += ahead / self.pacer.rate
            row.status = OutboxStatus.PENDING
            # Never less than a millisecond: a wait the clock cannot tell from none would leave
            # the row due at once, to be claimed and put off again in a loop.
            row.next_attempt_at = now + timedelta(seconds=max(wait, 0.001))
            return None
        row.status = OutboxStatus.SENDING
        row.claimed_by = self.worker_id
        row.lease_expires_at = now + timedelta(seconds=self.config.lease_seconds)
        row.attempts += 1
        look_since = row.created_at if marked_unsure(row.last_error) else None
        return Claimed(
            row.id,
            row.team_id,
            row.method,
            args,
            row.dedupe_key,
            look_since,
            row.pace_key,
            follows=row.after_key,
            domain=row.followed.domain if row.followed is not None else None,
        )

    def _retry_at(self, row: _Due, when: datetime) -> None:
        """Put `row` back in the queue, due at `when` (a retry, as the recorder counts them)."""
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = when
        self.recorder.count_retry()

    def _fail(self, session: Session, row: _Due, error: str, now: datetime) -> None:
        """Fail `row` for good through the session (the recorder queues its notice)."""
        row.failed = True
        row.status = OutboxStatus.FAILED
        stored = session.get_one(OutboxMessage, row.id)
        # What this round decided of it so far (an unsure mark) goes with it.
        stored.last_error = row.last_error
        self.recorder.fail(session, stored, error, now)

    def _pace(self, row: _Due) -> float:
        """Return 0 and spend `row`'s slot if its call may go now, else the seconds to wait."""
        first: tuple[str, ...] = ()
        if row.method in LOOKED_FOR and marked_unsure(row.last_error):
            # Its lookup comes first: a lookup method Slack rate-limited holds back the rows
            # that must look, not the channel's other posts.
            first = LOOKUP_METHODS
        elif row.method in OPENS_FIRST:
            # So does opening a group DM: a rate-limited open holds back only group DMs.
            first = OPENS_FIRST[row.method]
        held = max((self.pacer.wait_for(row.team_id, method, None) for method in first), default=0)
        if held > 0:
            return held
        return self.pacer.wait_for(row.team_id, api_method(row.method), row.pace_key)


def any_unfinished(session: Session) -> bool:
    """Whether an active workspace has a row still waiting or being sent."""
    query = (
        select(OutboxMessage.id)
        .join(Workspace, Workspace.team_id == OutboxMessage.team_id)
        .where(Workspace.active.is_(True), written_unfinished(OutboxMessage.status))
        .limit(1)
    )
    return session.scalar(query) is not None


def _move(bind: Connection, rows: list[_Due]) -> None:
    """Write the state a round gave `rows`, in one statement."""
    states = [
        # `_Due` keeps each under the column's name.
        {"b_id": row.id} | {name: getattr(row, column) for column, name in _MOVED}
        for row in rows
    ]
    if is_sqlite(bind):
        _MOVE_EACH.execute_many(bind, states)
        return
    _MOVE_ROWS.execute(bind, {name: [state[name] for state in states] for name in states[0]})


def _leader(row: _Due, by_key: Mapping[tuple[str, str], Claimed]) -> Claimed | None:
    """The claim of this round that `row` goes right behind, from the same sender: the last
    one chained behind the claim of the row `row` follows, when every earlier follower of that
    row still unsent is chained there already (followers keep their order), and `row` is
    neither rendered nor uploaded when sent (both need the store). Sent so, a post's followers
    (a DM to each person thanked, an edit) cost no round of their own between the post's and
    their own."""
    if row.after_key is None or row.followed is None:
        return None
    if row.method in UPLOAD_METHODS or outbox.RENDER in row.args:
        return None
    last = by_key.get((row.team_id, row.after_key))
    if last is None:
        return None
    # How many followers of the same row the chain holds: each earlier than `row` (none could
    # join before every earlier one had), so all of them when they number its earlier ones.
    chained = 0
    while last.then is not None:
        last = last.then
        chained += last.follows == row.after_key
    return last if chained == row.followed.earlier_unsent else None


def _due(row: Any) -> _Due:
    """A due row as `_waiting` or `_lapsed` read it."""
    return _Due(
        row.id,
        row.team_id,
        row.dedupe_key,
        row.method,
        row.args,
        row.pace_key,
        row.status,
        row.attempts,
        row.created_at,
        row.next_attempt_at,
        row.lease_expires_at,
        row.last_error,
        row.after_key,
        row.after_failed_args,
        followed(row, row.domain) if row.after_key is not None else None,
    )
