"""Rows leased as they are queued: a transaction queuing messages that this process's delivery
worker can send at once writes them already leased to it, and hands them over as it commits.

A claim is a round of the worker's own: one transaction, its statements and their planning. In
a trickle, a kudos now and then, every kudos drew one: about a quarter of a kudos's CPU. A row
the transaction queuing it leases at once needs none. The transaction writes it `sending`,
leased to the worker, and commits it with what owes it. Once committed, the worker's senders
call Slack, and a later round records how the calls went, many at a time. Rolled back, nothing
was written, and the worker lets go of what it set aside.

What is handed over is what the claim would have leased on the spot. That means a chain: a row
that follows no other (a post), then, in their order, the rows that follow it (the DM to each
person thanked), which its sender sends right after it. Each row of a chain must be a plain
call, sent as it was queued: no Home tab to render, no file to upload, no group DM to open. Its
channel's pace must allow it now (the slot is spent as a claim spends it), and the worker must
have room for the whole chain beside what it holds. Everything else is queued `pending` for the
worker's claim, as before. That includes a follower behind a row that stays pending, and one
whose placeholders need the workspace's domain when the caller did not say it.

Nothing is lost should the process die: a row leased to a dead worker is claimed again once its
lease runs out, and looked for on Slack before it is posted (as any row its worker died with).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.clock import Clock
from app.delivery import outbox
from app.delivery.claims import Claimed
from app.delivery.holdings import Holdings
from app.delivery.pacing import Pacer
from app.delivery.sender import api_method
from app.store.db import SessionFactory
from app.store.statuses import OutboxStatus

# The methods sent exactly as queued (see the module).
_PLAIN = frozenset({"chat.postMessage", "chat.postEphemeral", "dm", "response_url"})


@dataclass
class _Chain:
    """Rows of one transaction leased to go together, the first followed by the rest."""

    entries: list[dict[str, Any]]
    domain: str | None
    # The ids the rows were inserted under, by key; a row its key already named is not in it.
    ids: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Taker:
    """The worker a lane serves, and what the lane asks of it."""

    worker_id: str
    lease_seconds: float
    pacer: Pacer
    clock: Clock
    monotonic: Callable[[], float]


# Takes chains (leased, committed) to send, and rows (leased, committed, but behind a row that
# was not) to hand back unsent, in room set aside for so many rows (some not stored after all),
# each call to start by the given moment.
Take = Callable[[list[Claimed], list[int], int, float], None]


class Lane:
    """This process's worker's way to lease rows as transactions queue them (see the module):
    the `taker`'s, in room set aside in its `holdings`, handed over to its `take`."""

    def __init__(self, taker: Taker, holdings: Holdings, take: Take) -> None:
        self._taker = taker
        self._holdings = holdings
        self._take = take
        self._open = threading.Event()
        # `Session.info` key of the chains a transaction leased, handed over as it commits:
        # this lane's own (a test may run two workers on one session factory).
        self._leased = f"delivery_leased:{id(self)}"
        self._unhook: Callable[[], None] | None = None

    def open(self, factory: SessionFactory) -> None:
        """Lease rows the sessions of `factory` queue, from now on (the worker runs)."""
        self._unhook = _hand_over_on_commit(factory, self)
        self._open.set()

    def close(self) -> None:
        """Lease no more rows (the worker is stopping)."""
        self._open.clear()
        if self._unhook is not None:
            self._unhook()
            self._unhook = None

    def lease(
        self,
        session: Session,
        entries: list[dict[str, Any]],
        *,
        domain: str | None = None,
        followers: bool = False,
    ) -> bool:
        """Write each chain of `entries` (built by `outbox.entry`, in their order) that may go
        now as leased to the worker, and keep it for `session`'s commit to hand over; return
        whether any was. `followers`: the caller knows the workspace's `domain`, for the
        permalinks followers fill in; without it only rows that follow none go."""
        if not self._open.is_set():
            return False
        leased = False
        for chain in self._chains(entries, followers):
            rows = self._paced(chain, self._taker.clock.now())
            if rows and not self._holdings.reserve(len(rows)):
                self._give_back(rows)
                rows = []
            if not rows:
                continue
            for row in rows:
                self._write_leased(row)
            session.info.setdefault(self._leased, []).append(_Chain(rows, domain))
            leased = True
        return leased

    def inserted(self, session: Session, rows: Iterable[Any]) -> None:
        """Note the ids of the leased rows the statement inserted (`id`, `dedupe_key`)."""
        chains: list[_Chain] = session.info.get(self._leased, [])
        if not chains:
            return
        ids = {row.dedupe_key: row.id for row in rows}
        for chain in chains:
            for entry in chain.entries:
                key = entry["dedupe_key"]
                if key in ids:
                    chain.ids[key] = ids[key]

    def committed(self, session: Session) -> None:
        """Hand the chains `session` leased to the worker, now they are stored."""
        chains: list[_Chain] = session.info.pop(self._leased, [])
        if not chains:
            return
        start_by = self._taker.monotonic() + self._taker.lease_seconds / 2
        claimed: list[Claimed] = []
        orphans: list[int] = []
        for chain in chains:
            first = _claimed(chain)
            going = {row.id for row in first.chain()} if first is not None else set()
            if first is not None:
                claimed.append(first)
            # A follower inserted behind a row that was not (its key was known) goes back to
            # the queue, to wait for that row as any follower does; its slot and those of the
            # rows not inserted are given back.
            orphans.extend(row_id for row_id in chain.ids.values() if row_id not in going)
            self._give_back(e for e in chain.entries if chain.ids.get(e["dedupe_key"]) not in going)
        set_aside = sum(len(chain.entries) for chain in chains)
        self._take(claimed, orphans, set_aside, start_by)

    def rolled_back(self, session: Session) -> None:
        """Let go of what `session` leased: nothing of it was stored."""
        chains: list[_Chain] = session.info.pop(self._leased, [])
        for chain in chains:
            self._give_back(chain.entries)
            self._holdings.release(len(chain.entries))

    def _chains(
        self, entries: list[dict[str, Any]], followers: bool
    ) -> Iterable[list[dict[str, Any]]]:
        """Each plain row of `entries` that follows none, with the plain rows that follow it in
        their order (when `followers`), up to the first that is not plain: a later one must not
        overtake it."""
        chains: dict[str, list[dict[str, Any]]] = {}
        cut: set[str] = set()
        for entry in entries:
            after = entry["after_key"]
            if after is None:
                if _plain(entry):
                    chains[entry["dedupe_key"]] = [entry]
            elif followers and after in chains and after not in cut:
                if _plain(entry):
                    chains[after].append(entry)
                else:
                    cut.add(after)
        return chains.values()

    def _paced(self, chain: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
        """The rows of `chain` due by `now` whose channels allow a call now, up to the first
        that is not (later ones must not overtake it), each spending its slot as a claim would."""
        pacer = self._taker.pacer
        rows: list[dict[str, Any]] = []
        for entry in chain:
            if entry["next_attempt_at"] > now:
                break
            method = api_method(entry["method"])
            if pacer.wait_for(entry["team_id"], method, entry["pace_key"]) > 0:
                break
            rows.append(entry)
        return rows

    def _write_leased(self, entry: dict[str, Any]) -> None:
        """Have `entry` written leased to the worker from the moment it is queued."""
        entry["status"] = OutboxStatus.SENDING
        entry["claimed_by"] = self._taker.worker_id
        lease = timedelta(seconds=self._taker.lease_seconds)
        entry["lease_expires_at"] = entry["created_at"] + lease
        entry["attempts"] = 1

    def _give_back(self, entries: Iterable[Mapping[str, Any]]) -> None:
        for entry in entries:
            self._taker.pacer.give_back(entry["team_id"], entry["pace_key"])


def _plain(entry: Mapping[str, Any]) -> bool:
    """Whether `entry`'s call is sent exactly as queued (see the module)."""
    return entry["method"] in _PLAIN and outbox.RENDER not in entry["args"]


def _claimed(chain: _Chain) -> Claimed | None:
    """`chain`'s rows as the worker's senders take them, the first leading the rest; None if its
    first row was not inserted. A row after one that was not inserted is not in the chain."""
    first: Claimed | None = None
    last: Claimed | None = None
    for entry in chain.entries:
        row_id = chain.ids.get(entry["dedupe_key"])
        if row_id is None:
            break
        row = Claimed(
            row_id,
            entry["team_id"],
            entry["method"],
            entry["args"],
            entry["dedupe_key"],
            pace_key=entry["pace_key"],
            follows=entry["after_key"],
            domain=chain.domain if entry["after_key"] is not None else None,
        )
        if last is None:
            first = row
        else:
            last.then = row
        last = row
    return first


def _hand_over_on_commit(factory: SessionFactory, lane: Lane) -> Callable[[], None]:
    """Give every session of `factory` the `lane`, and have each commit hand over what it
    leased (each rollback let go of it); return what undoes this."""

    def after_commit(session: Session) -> None:
        lane.committed(session)

    def after_rollback(session: Session) -> None:
        lane.rolled_back(session)

    factory.configure(info={**(factory.kw.get("info") or {}), outbox.LANE: lane})
    event.listen(factory, "after_commit", after_commit)
    event.listen(factory, "after_rollback", after_rollback)

    def undo() -> None:
        event.remove(factory, "after_commit", after_commit)
        event.remove(factory, "after_rollback", after_rollback)
        info = dict(factory.kw.get("info") or {})
        if info.get(outbox.LANE) is lane:
            del info[outbox.LANE]
            factory.configure(info=info)

    return undo
