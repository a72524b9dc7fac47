"""Messages queued to follow another (`after_key`): an edit of, or reply to, a post not yet made.

A follower waits until the message it follows was sent, goes out in the order it was queued among
that message's followers, and takes that message's channel, ts and permalink in place of the
`$after.*` placeholders in its arguments.

A follower does not poll for that: whatever settles the message it follows (sent, failed for
good, cancelled) makes its followers due in the same transaction (`wake`), so a follower is
looked at again only then, or after `FALLBACK_SECONDS` should a wake-up be missed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    FromClause,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from app import json_codec
from app.delivery import outbox
from app.permalinks import permalink
from app.store.direct import DirectStatement
from app.store.models import OutboxMessage
from app.store.statuses import (
    UNDELIVERED,
    UNFINISHED,
    OutboxStatus,
    unindexed_status,
    written_status,
)

_OUTBOX = cast(Table, OutboxMessage.__table__)
_FOLLOWED = _OUTBOX.alias("followed")
_EARLIER = _OUTBOX.alias("earlier")

# How long a follower waits, at most, for the wake-up of the message it follows. The wake-up is
# written with the message's outcome, so this covers only what it cannot: another worker's claim
# that read the message as unsent just before the message was recorded sent (PostgreSQL, several
# workers). One second, as before, re-read every waiting follower each second of a backlog.
FALLBACK_SECONDS = 5.0

# The instant a wake-up makes followers due, bound as `b_now`.
NOW = bindparam("b_now", type_=_OUTBOX.c.next_attempt_at.type)
# A follower still waiting, never tried, not yet due: what a wake-up makes due at `NOW`, found
# by its key. The status in a form no index answers: open to the waiting rows' index, the
# planner walked every row put off until later (a backlog's posts held for their channel's
# pace, their DMs) for each key, where the key's own index finds its few followers.
WAITING = (
    unindexed_status(_OUTBOX.c.status, OutboxStatus.PENDING),
    _OUTBOX.c.attempts == 0,
    _OUTBOX.c.next_attempt_at > NOW,
)


@functools.cache
def _followers_due(dialect: str) -> DirectStatement:
    """Makes due at once the waiting followers of the (team, dedupe key) pairs bound as
    `_followed_parameter` binds them: one parameter however many pairs, so one statement text,
    compiled once and run on the driver's cursor (`direct`), where an expanding `IN` list had
    SQLAlchemy render it again at every round that recorded a post on SQLite."""
    if dialect == "postgresql":
        pairs = (
            func.unnest(
                bindparam("b_teams", type_=ARRAY(String())),
                bindparam("b_keys", type_=ARRAY(String())),
            )
            .table_valued("team", "key", name="followed")
            .render_derived()
        )
        return DirectStatement(
            update(_OUTBOX)
            .where(
                tuple_(_OUTBOX.c.team_id, _OUTBOX.c.after_key).in_(
                    select(pairs.c.team, pairs.c.key)
                ),
                *WAITING,
            )
            .values(next_attempt_at=NOW)
        )
    # SQLite: joined to the pairs (UPDATE ... FROM), each pair finding its followers by (team,
    # after_key), not through the waiting rows' index: as a row-value `IN`, or with that index
    # open to it, SQLite read every row put off until later, or all.
    pairs = func.json_each(bindparam("b_followed", type_=String())).table_valued("value")
    return DirectStatement(
        update(_OUTBOX)
        .where(
            _OUTBOX.c.team_id == func.json_extract(pairs.c.value, "$[0]"),
            _OUTBOX.c.after_key == func.json_extract(pairs.c.value, "$[1]"),
            *WAITING,
        )
        .values(next_attempt_at=NOW)
    )


def _followed_parameter(dialect: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`pairs` as `_followers_due(dialect)` binds them: two arrays, or one JSON array."""
    if dialect == "postgresql":
        return {"b_teams": [team for team, _ in pairs], "b_keys": [key for _, key in pairs]}
    return {"b_followed": json_codec.dumps(pairs)}


def settled_keys(team_id: str, dedupe_key: str, after_key: str | None) -> set[tuple[str, str]]:
    """The (team, key) pairs whose followers may go once the row (`dedupe_key`, following
    `after_key`) is settled: its own followers, and the next follower of what it followed."""
    keys = {(team_id, dedupe_key)}
    if after_key is not None:
        keys.add((team_id, after_key))
    return keys


def wake(bind: Connection, keys: Iterable[tuple[str, str]], now: datetime) -> bool:
    """Make due at `now` the waiting followers of the messages keyed `keys`, which were just
    settled in this transaction (the claim then keeps their order and their channel's pace);
    return whether there were any."""
    followed = sorted(set(keys))
    if not followed:
        return False
    dialect = bind.dialect.name
    parameters = {"b_now": now, **_followed_parameter(dialect, followed)}
    return bool(_followers_due(dialect).execute(bind, parameters))


@dataclass(frozen=True)
class Followed:
    """What a follower's claim read of the message it follows, in the claim's own statement:
    that message's state and result, how many earlier followers of it are unsent, and the
    workspace's domain (for permalinks)."""

    status: str
    next_attempt_at: datetime
    channel: str | None
    ts: str | None
    earlier_unsent: int
    domain: str | None


def with_followed(due: FromClause) -> Select[Any]:
    """The rows of `due` (outbox rows already chosen, e.g. a claim's), each with the columns
    `followed` reads of the row it follows: NULL for a row that follows nothing (or whose
    followed row is missing).

    Joined to rows already chosen, not before choosing them: joined first, the database read the
    followed row of every due row before it sorted and kept a round's worth.
    """
    earlier = (
        select(func.count()).where(
            _EARLIER.c.team_id == due.c.team_id,
            _EARLIER.c.after_key == due.c.after_key,
            _EARLIER.c.id < due.c.id,
            # Not `IN`: a list is an expanding parameter, and SQLAlchemy would render the whole
            # claim's text again at every execution to expand it.
            or_(*(written_status(_EARLIER.c.status, status) for status in UNFINISHED)),
        )
    ).scalar_subquery()
    return select(
        due,
        _FOLLOWED.c.status.label("f_status"),
        _FOLLOWED.c.next_attempt_at.label("f_next"),
        _FOLLOWED.c.result_channel.label("f_channel"),
        _FOLLOWED.c.result_ts.label("f_ts"),
        # Only a follower's: the rest would look its index up for nothing.
        case((due.c.after_key.is_not(None), earlier), else_=0).label("f_earlier"),
    ).select_from(
        due.outerjoin(
            _FOLLOWED,
            and_(
                _FOLLOWED.c.team_id == due.c.team_id,
                _FOLLOWED.c.dedupe_key == due.c.after_key,
            ),
        )
    )


def followed(row: Any, domain: str | None) -> Followed | None:
    """The `Followed` of a row read with `with_followed`, None when its followed row is
    missing."""
    if row.f_status is None:
        return None
    return Followed(row.f_status, row.f_next, row.f_channel, row.f_ts, row.f_earlier or 0, domain)


def follower_args(
    args: dict[str, Any],
    failed_args: dict[str, Any] | None,
    before: Followed | None,
    now: datetime,
) -> dict[str, Any] | datetime | None:
    """Return the arguments a follower (`args`, or `failed_args` should what it follows never be
    delivered) goes out with now; or the instant to look again, when what it follows (`before`),
    or an earlier follower of it, is not sent yet; or None when what it follows was never
    delivered and the follower has nothing to send instead."""
    if before is None or before.status in UNDELIVERED:
        return dict(failed_args) if failed_args is not None else None
    if before.status != OutboxStatus.SENT or before.earlier_unsent:
        # Followers of one message go out in the order they were queued: two edits of an ask's
        # message must not overtake each other.
        return _follow_at(before, now)
    return after_sent(args, before.channel, before.ts, before.domain)


def after_sent(
    args: dict[str, Any], channel: str | None, ts: str | None, domain: str | None
) -> dict[str, Any]:
    """A follower's `args` with every `$after.*` placeholder filled in from where what it
    follows was posted (`channel`, `ts`; `domain` for the permalink)."""
    result: dict[str, Any] = _substitute(dict(args), _Posted(channel, ts, domain))
    return result


def _follow_at(before: Followed, now: datetime) -> datetime:
    """When to look again at a follower of `before`, which must go out first: it is woken when
    `before` (or the earlier follower it waits behind) is settled, so this is only a fallback."""
    fallback = now + timedelta(seconds=FALLBACK_SECONDS)
    if before.status == OutboxStatus.PENDING:
        # Nothing can change before `before`'s own next attempt (a lookup's wait, a backoff).
        # Not due with it, even so: a post put off for its channel's pace is put off again and
        # again, and its followers would be read with it each time (the load bench's channels
        # showed the cost). The wake-up or the fallback brings them.
        return max(before.next_attempt_at, fallback)
    return fallback


@dataclass(frozen=True)
class _Posted:
    """Where the followed message went, for the `$after.*` placeholders."""

    channel: str | None
    ts: str | None
    domain: str | None

    @property
    def permalink(self) -> str:
        """The web link to the followed message."""
        return permalink(self.domain, self.channel or "", self.ts or "")


def _substitute(value: Any, posted: _Posted) -> Any:
    """Return `value` with every `$after.*` placeholder in its strings replaced from `posted`."""
    if isinstance(value, str):
        if outbox.AFTER_PERMALINK in value:
            value = value.replace(outbox.AFTER_PERMALINK, posted.permalink)
        return value.replace(outbox.AFTER_CHANNEL, posted.channel or "").replace(
            outbox.AFTER_TS, posted.ts or ""
        )
    if isinstance(value, dict):
        return {key: _substitute(item, posted) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, posted) for item in value]
    return value
