"""The exactly-once check: every request acknowledged is stored once, every owed post made once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from app.delivery.sender import OUTBOX_EVENT, POSTS
from app.kudos.reactions import identity_of, reaction_key
from app.store.models import Ask, AskReply, Kudos, Offer, OutboxMessage
from bench.loadkit.cluster import Cluster
from bench.loadkit.mix import MARKER_PATTERN, Sent, marker


def exactly_once_problems(
    cluster: Cluster, sent: Sequence[Sent], *, drain_timeout: float = 120.0
) -> list[str]:
    """Everything wrong with `sent` as stored and delivered; [] when all is exactly once.

    (a) Each command acknowledged with success is stored exactly once (its marker in one kudos,
    ask or offer row; an event's reply or reaction kudos once); one answered "try again" is not
    stored at all; an unanswered one at most once. (b) Once the outbox drains (waiting up to
    `drain_timeout`), every row is `sent`, and every post a row owed (`chat.postMessage`, `dm`)
    is in the stand-in's record exactly once, under the channel and ts the row recorded.
    Ephemeral messages and response_url posts are at-least-once by design and not checked.
    """
    problems: list[str] = []
    drained = cluster.wait_drained(drain_timeout)
    if not drained:
        problems.append(
            f"the outbox did not drain in {drain_timeout:.0f}s: {cluster.outbox_counts()}"
        )
    stored = _stored(cluster)
    answers: list[str] = []
    for request in sent:
        count = stored[request.kind][_key(request)]
        outcome = request.outcome
        label = f"{request.kind} {request.marker} (replica {request.replica})"
        if outcome == "ok" and count != 1:
            problems.append(f"{label} was acknowledged but stored {count} times")
        elif outcome == "try_again" and count != 0:
            problems.append(f"{label} was answered 'try again' but stored {count} times")
        elif outcome in ("unanswered", "unexpected") and count > 1:
            problems.append(f"{label} got no success answer but was stored {count} times")
        if outcome == "unexpected":
            answers.append(f"{label} was answered {request.answer[:120]!r}")
    # Lost or repeated records first: answers nobody expected tend to come in crowds.
    return problems + _delivery_problems(cluster) + answers


def _key(request: Sent) -> str:
    """What identifies `request`'s record in `_stored`: its marker, or its event's natural key."""
    if request.kind == "reply":
        return f"{request.team}:{request.channel}:{request.ts}"
    if request.kind == "reaction":
        return f"{request.team}:{reaction_key(request.user, request.channel, request.ts)}"
    return request.marker


def _markers(values: Sequence[Any]) -> Counter[str]:
    """How many times each request marker appears in `values`."""
    found: Counter[str] = Counter()
    for value in values:
        for seq in MARKER_PATTERN.findall(str(value or "")):
            found[marker(int(seq))] += 1
    return found


def _stored(cluster: Cluster) -> dict[str, Counter[str]]:
    """For each kind of request, how many times each request's key is in the database."""
    with cluster.engine.connect() as connection:
        kudos = connection.execute(
            select(Kudos.team_id, Kudos.message, Kudos.source, Kudos.dedupe_key)
        ).all()
        asks = connection.execute(select(Ask.text)).scalars().all()
        offers = connection.execute(select(Offer.note)).scalars().all()
        replies = connection.execute(
            select(AskReply.team_id, AskReply.channel_id, AskReply.ts)
        ).all()
    return {
        "kudos": _markers([row.message for row in kudos if row.source != "reaction"]),
        "ask": _markers(asks),
        "offer": _markers(offers),
        "reply": Counter(f"{r.team_id}:{r.channel_id}:{r.ts}" for r in replies),
        "reaction": Counter(
            # One add of a reaction is one kudos; its key adds the add's event_ts to the identity.
            f"{row.team_id}:{identity_of(row.dedupe_key)}"
            for row in kudos
            if row.source == "reaction"
        ),
    }


def _delivery_problems(cluster: Cluster) -> list[str]:
    """Outbox rows not sent, and owed posts missing, repeated or not where the row says."""
    problems: list[str] = []
    with cluster.engine.connect() as connection:
        rows = connection.execute(
            select(
                OutboxMessage.dedupe_key,
                OutboxMessage.method,
                OutboxMessage.status,
                OutboxMessage.result_channel,
                OutboxMessage.result_ts,
                OutboxMessage.last_error,
            )
        ).all()
    posts: dict[tuple[str, str], list[str]] = {}
    for message in cluster.slack.posted_messages():
        metadata = message.get("metadata")
        if not isinstance(metadata, dict) or metadata.get("event_type") != OUTBOX_EVENT:
            continue
        key = str((metadata.get("event_payload") or {}).get("key"))
        posts.setdefault((str(message["channel"]), key), []).append(str(message["ts"]))
    owed: set[tuple[str, str]] = set()
    for row in rows:
        if row.status != "sent":
            problems.append(
                f"outbox row {row.dedupe_key} ({row.method}) is {row.status}: {row.last_error}"
            )
            continue
        if row.method not in POSTS:
            continue
        where = (str(row.result_channel), row.dedupe_key)
        owed.add(where)
        found = posts.get(where, [])
        if len(found) != 1:
            problems.append(f"{row.dedupe_key} was posted {len(found)} times in {where[0]}")
        elif found[0] != row.result_ts:
            problems.append(f"{row.dedupe_key} recorded ts {row.result_ts}, posted {found[0]}")
    for where, found in posts.items():
        if where not in owed:
            problems.append(
                f"{where[1]} was posted {len(found)} times in {where[0]}, owed by no row"
            )
    return problems
