"""The hot statements read the outbox and the kudos through indexes, on a file of history, both
before SQLite has statistics and after ANALYZE (which `PRAGMA optimize` runs as a connection
opens on a grown file).

SQLite keeps only an average of rows per key for an index (no per-value counts: this build has
no STAT4). Once that average said "the whole outbox" for a status (every row was sent), the
claim's look for the earliest lease read every row: 4 ms a claim instead of 0.15 on a 17,000-row
file, and more as it grew. Before any statistics, the ack's count of a giver's kudos today read
every kudos of the workspace that day. Each statement here runs for real; a listener asks SQLite
for its plan first, on the same connection and with the same parameters.

On PostgreSQL, the claim on the delivery worker's own connection walks the waiting rows' index in
order, past the dead entries the claims before it left, and recording a round finds the followers
it lets go by their key, among a backlog put off for later (the last tests).
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, text
from sqlalchemy.orm import Session

from app.delivery.claims import any_unfinished
from app.delivery.due_rows import LAPSED_ROWS, PENDING_ROWS
from app.delivery.followers import wake
from app.delivery.marking import record_sent_statement
from app.delivery.outbox import entry
from app.delivery.round_plans import ROUND_SETTINGS
from app.kudos.rules import gather
from app.metrics import Metrics
from app.runtime import DELIVERY_HOOKS
from app.store.core import Kept
from app.store.db import is_sqlite, make_engine
from app.store.models import (
    Channel,
    Kudos,
    KudosRecipient,
    Member,
    OutboxMessage,
    Workspace,
)

TEAM = "T0PLANS"
NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
SENT = 6_000
# Rows queued and sent between two VACUUMs in the PostgreSQL test: half a minute of a busy queue.
CHURN = 10_000
GIVERS = 100
KUDOS = 3_000
# Posts put off for later in the PostgreSQL record test, each with a DM waiting on it.
BACKLOG = 1_500
# The tables with history, under their own names and the aliases the statements give them.
LARGE = ("outbox_messages", "earlier", "followed", "kudos", "kudos_recipients")


def _fill(engine: Engine) -> None:
    """A workspace with a history: thousands of sent outbox rows and a day of kudos from many
    givers."""
    with Session(engine) as session, session.begin():
        session.add(
            Workspace(team_id=TEAM, installed_at=NOW - timedelta(days=90), kudos_daily_limit=1_000)
        )
        session.flush()
        session.add(Channel(team_id=TEAM, channel_id="C1", updated_at=NOW))
        session.execute(
            insert(Member),
            [
                {"team_id": TEAM, "user_id": f"U{n}", "tz": "UTC", "updated_at": NOW}
                for n in range(GIVERS)
            ],
        )
        sent = [
            _outbox(f"sent-{n}", "sent", NOW - timedelta(minutes=SENT - n)) for n in range(SENT)
        ]
        session.execute(insert(OutboxMessage), sent)
        day = NOW.replace(hour=0)
        session.execute(
            insert(Kudos),
            [
                {
                    "id": n + 1,
                    "team_id": TEAM,
                    "giver_id": f"U{n % GIVERS}",
                    "channel_id": "C1",
                    "message": "thanks",
                    "created_at": day + timedelta(seconds=n),
                }
                for n in range(KUDOS)
            ],
        )
        session.execute(
            insert(KudosRecipient),
            [
                {
                    "kudos_id": n + 1,
                    "recipient_id": f"U{(n + 1) % GIVERS}",
                    "team_id": TEAM,
                    "giver_id": f"U{n % GIVERS}",
                }
                for n in range(KUDOS)
            ],
        )


def _owe(engine: Engine) -> None:
    """A few rows still owed: waiting (due, and later) and leased to another worker."""
    owed = [("pending", NOW - timedelta(seconds=n)) for n in range(3)]
    owed += [("pending", NOW + timedelta(minutes=n + 1)) for n in range(3)]
    owed += [("sending", NOW - timedelta(seconds=n + 1)) for n in range(3)]
    with engine.begin() as connection:
        connection.execute(
            insert(OutboxMessage),
            [_outbox(f"owed-{n}", status, at) for n, (status, at) in enumerate(owed)],
        )


def _outbox(key: str, status: str, at: datetime, after_key: str | None = None) -> dict[str, Any]:
    """A post as `outbox.entry` queues it, in `status` (leased to another worker, or sent),
    following the row keyed `after_key` (for one of `_owe`'s, the last sent)."""
    row = entry(
        team_id=TEAM,
        method="chat.postMessage",
        args={"channel": "C1", "text": "hi"},
        dedupe_key=key,
        now=at,
        after_key=f"sent-{SENT - 1}" if key == "owed-4" else after_key,
    )
    # Every row with the same keys: an executemany INSERT takes its columns from the first.
    leased = status == "sending"
    row.update(
        status=status,
        lease_expires_at=at if leased else None,
        claimed_by="other" if leased else None,
        finished_at=at if status == "sent" else None,
    )
    return row


@pytest.fixture(params=[False, True], ids=["no statistics", "analysed"])
def history(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[Engine]:
    path = tmp_path / "history.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    _fill(engine)
    if request.param:
        # As `PRAGMA optimize` would on opening the file: when every outbox row was sent.
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    _owe(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def plans(history: Engine) -> Iterator[list[tuple[str, list[str]]]]:
    """Each statement run on `history` while the block runs, with the steps of its plan."""
    found: list[tuple[str, list[str]]] = []

    def explain(_conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "DELETE")):
            steps = cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
            found.append((statement, [step[3] for step in steps]))

    event.listen(history, "before_cursor_execute", explain)
    yield found
    event.remove(history, "before_cursor_execute", explain)


def _full_reads(steps: list[str]) -> list[str]:
    """The steps that read a large table whole: a scan (of the table or of an index), or a
    search with no index to search."""
    tables = "|".join(LARGE)
    return [
        step
        for step in steps
        if re.match(rf"SCAN ({tables})\b", step)
        or (re.match(rf"SEARCH ({tables})\b", step) and " USING " not in step)
    ]


def _assert_indexed(plans: list[tuple[str, list[str]]]) -> None:
    assert plans, "no statement ran"
    for statement, steps in plans:
        assert not _full_reads(steps), f"{' '.join(statement.split())[:160]}…\n{steps}"


def test_a_claim_reads_the_rows_still_owed_through_their_own_indexes(
    history: Engine, plans: list[tuple[str, list[str]]]
) -> None:
    bound = {"b_now": NOW, "b_limit": 50, "b_held": [1], "b_worker": "me"}
    with history.begin() as connection:
        claimed = [row.id for row in connection.execute(PENDING_ROWS, bound) if row.id]
        lapsed = [row.id for row in connection.execute(LAPSED_ROWS, bound)]
    assert len(claimed) == 3
    assert len(lapsed) == 3
    _assert_indexed(plans)
    steps = [step for _, found in plans for step in found]
    assert any("ix_outbox_messages_waiting" in step for step in steps), steps
    assert any("ix_outbox_messages_leased" in step for step in steps), steps


def test_what_the_worker_and_the_metrics_ask_of_the_outbox_is_read_through_indexes(
    history: Engine, plans: list[tuple[str, list[str]]]
) -> None:
    with Session(history) as session:
        assert any_unfinished(session)
    metrics = Metrics()
    metrics.watch_outbox(lambda: Session(history), lambda: NOW)
    # Nine rows still owed: three due, three waiting for later, three leased.
    assert metrics.registry.get_sample_value("reciprocity_outbox_depth") == 9
    with history.begin() as connection:
        assert wake(connection, [(TEAM, f"sent-{SENT - 1}")], NOW)
    _assert_indexed(plans)
    # A wake-up finds the followers by what they follow, not among every row put off for later.
    wakes = [steps for statement, steps in plans if "SET next_attempt_at" in statement]
    assert wakes
    assert all(any("ix_outbox_messages_following" in s for s in w) for w in wakes), wakes


def test_the_acks_count_of_a_givers_day_reads_only_that_givers_kudos(
    history: Engine, plans: list[tuple[str, list[str]]]
) -> None:
    with Session(history) as session:
        known = gather(session, TEAM, "U7", ["U8"], "C1", NOW)
    assert known.rules.daily_limit - known.remaining_today == KUDOS // GIVERS
    _assert_indexed(plans)
    counts = [step for _, steps in plans for step in steps if re.match(r"SEARCH kudos\b", step)]
    assert counts
    assert all("giver_id=?" in step for step in counts), counts


@pytest.mark.postgres
def test_on_the_rounds_connection_a_claim_walks_the_waiting_index_in_order(
    database_url: str,
) -> None:
    """PostgreSQL: each claim leaves a dead entry in the waiting rows' index until VACUUM.
    Planned for the few rows it expected due, PostgreSQL gathered that index in a bitmap, which
    reads every dead entry on every claim; on the rounds' connection the claim walks the index
    in order, which marks the dead entries it passes so the next claim skips them."""
    engine = make_engine(database_url)
    if is_sqlite(engine):
        engine.dispose()
        pytest.skip("PostgreSQL's access paths")
    try:
        with Session(engine) as session, session.begin():
            session.add(Workspace(team_id=TEAM, installed_at=NOW - timedelta(days=90)))
        # Rows queued and sent, never vacuumed nor analysed (as between autovacuum's visits):
        # each left a dead entry in the waiting index.
        with engine.begin() as connection:
            connection.execute(
                insert(OutboxMessage),
                [_outbox(f"gone-{n}", "pending", NOW - timedelta(seconds=n)) for n in range(CHURN)],
            )
            connection.execute(
                text("UPDATE outbox_messages SET status = 'sent' WHERE status = 'pending'")
            )
        _owe(engine)
        kept = Kept(engine, 30.0, time.monotonic, ROUND_SETTINGS["postgresql"])
        bound = {"b_now": NOW, "b_limit": 50, "b_worker": "me"}
        with kept.transaction() as bind:
            claimed = [row.id for row in bind.execute(PENDING_ROWS, bound) if row.id]
            compiled = PENDING_ROWS.compile(dialect=bind.dialect)
            plan = bind.exec_driver_sql(
                "EXPLAIN " + str(compiled), compiled.construct_params(bound)
            ).scalars()
            steps = [line for line in plan if "ix_outbox_messages_waiting" in line]
        kept.close()
        assert len(claimed) == 3
        assert steps
        assert not any("Bitmap" in step for step in steps), steps
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_on_the_rounds_connection_a_record_finds_the_followers_it_lets_go_by_their_key(
    database_url: str,
) -> None:
    """PostgreSQL, planned once on the rounds' connection: a backlog's posts put off for their
    channel's pace, each with a DM waiting on it, are many rows waiting for later. The followers
    of the rows a round records are found through the index of what they follow; walking the
    waiting rows for each recorded row cost a record 13 ms at 2,600 of them (bench/README.md)."""
    engine = make_engine(database_url)
    if is_sqlite(engine):
        engine.dispose()
        pytest.skip("PostgreSQL's access paths")
    later = NOW + timedelta(minutes=5)
    try:
        with Session(engine) as session, session.begin():
            session.add(Workspace(team_id=TEAM, installed_at=NOW - timedelta(days=90)))
        backlog = [_outbox(f"late-{n}", "pending", later) for n in range(BACKLOG)]
        backlog += [_outbox(f"late-dm-{n}", "pending", later, f"late-{n}") for n in range(BACKLOG)]
        mine = [_outbox(f"mine-{n}", "sending", NOW) for n in range(5)]
        waiting = [_outbox(f"mine-dm-{n}", "pending", later, f"mine-{n}") for n in range(5)]
        with engine.begin() as connection:
            connection.execute(insert(OutboxMessage), backlog + mine + waiting)
            connection.execute(
                text("UPDATE outbox_messages SET claimed_by = 'me' WHERE status = 'sending'")
            )
            ids = list(
                connection.execute(
                    text("SELECT id FROM outbox_messages WHERE status = 'sending' ORDER BY id")
                ).scalars()
            )
        with engine.connect() as connection:
            connection.execute(text("ANALYZE outbox_messages"))
        record = record_sent_statement(DELIVERY_HOOKS.links)
        bound = {
            "b_worker": "me",
            "b_finished": NOW,
            "b_now": NOW,
            "b_ids": ids,
            "b_channels": ["C1"] * len(ids),
            "b_ts": [f"1.{n}" for n in range(len(ids))],
        }
        kept = Kept(engine, 30.0, time.monotonic, ROUND_SETTINGS["postgresql"])
        with kept.transaction() as bind:
            compiled = record.compile(dialect=bind.dialect)
            plan = list(
                bind.exec_driver_sql(
                    "EXPLAIN " + str(compiled), compiled.construct_params(bound)
                ).scalars()
            )
            marked = bind.execute(record, bound).all()
        kept.close()
        assert len(marked) == 5
        # Each row says how many followers the statement let go: the five DMs.
        assert marked[0].woken == 5
        assert any("ix_outbox_messages_following" in step for step in plan), plan
        assert not any("ix_outbox_messages_waiting" in step for step in plan), plan
    finally:
        engine.dispose()
