"""The NOTIFY that wakes other processes' workers rides on the statement that queues outbox rows
(PostgreSQL): exactly one notification per committed transaction that queued something new, none
for one that rolled back or queued only known keys.

A listener on its own connection collects notifications until a sentinel sent afterwards:
PostgreSQL delivers notifications in commit order, so what arrives before the sentinel is all
that the transactions before it sent, with no waiting on a clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy.engine import make_url

from app.delivery import outbox
from app.runtime import Runtime
from app.sandbox.slack_api import SlackStandIn
from app.store.db import transaction
from tests.conftest import BotFactory, bot_settings, slack_driver
from tests.delivery.conftest import TEAM, WorkerFactory, for_the_claim
from tests.kudos.conftest import reply_text, wait_for_member

pytestmark = pytest.mark.postgres

SENTINEL = "sentinel"


class Listener:
    """A connection of its own LISTENing on the outbox channel, as another process's worker."""

    def __init__(self, database_url: str) -> None:
        conninfo = make_url(database_url).set(drivername="postgresql")
        self._conninfo = conninfo.render_as_string(hide_password=False)
        self._connection = psycopg.connect(self._conninfo, autocommit=True)
        self._connection.execute(f"LISTEN {outbox.NOTIFY_CHANNEL}")

    def heard(self) -> list[str]:
        """The payloads of the notifications committed since the last call, in commit order."""
        with psycopg.connect(self._conninfo, autocommit=True) as other:
            other.execute("SELECT pg_notify(%s, %s)", (outbox.NOTIFY_CHANNEL, SENTINEL))
        payloads: list[str] = []
        for notify in self._connection.notifies(timeout=30):
            if notify.payload == SENTINEL:
                return payloads
            payloads.append(notify.payload)
        raise AssertionError("the sentinel notification never arrived")

    def close(self) -> None:
        self._connection.close()


@pytest.fixture
def listener(database_url: str) -> Iterator[Listener]:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's; SQLite serves one process")
    found = Listener(database_url)
    yield found
    found.close()


def _queue(runtime: Runtime, *keys: str, claim: bool = False) -> None:
    """Queue a post under each of `keys`; with `claim`, left to the claim (`for_the_claim`)."""
    with transaction(runtime.sessions) as session:
        if claim:
            for_the_claim(session)
        for key in keys:
            outbox.queue(
                session,
                team_id=TEAM,
                method="chat.postMessage",
                args={"channel": "C0GENERAL", "text": key},
                dedupe_key=key,
                now=datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
            )


def test_each_kudos_acked_notifies_other_processes_once(
    database_url: str, slack: SlackStandIn, serve_bot: BotFactory, listener: Listener
) -> None:
    # No worker in this process: nothing but the kudos queues rows.
    bot = serve_bot(bot_settings(database_url, slack), with_worker=False)
    for person in ("U0BOB", "U0CAROL"):
        wait_for_member(bot, person)
    assert listener.heard() == []
    with slack_driver(bot, slack, "http") as driver:
        for text in ("<@U0BOB> <@U0CAROL> thanks for the launch", "<@U0BOB> thanks again"):
            answer = driver.command(
                command="/kudos",
                text=text,
                user_id="U0ALICE",
                channel_id="C0GENERAL",
                response_url=slack.new_response_url(),
                trigger_id=slack.issue_trigger_id(),
            )
            assert "on their way" in reply_text(answer)
    # The first kudos queued a post and two notes, the second a post and a note: one each.
    assert listener.heard() == ["", ""]


def test_a_rolled_back_transaction_notifies_no_one(runtime: Runtime, listener: Listener) -> None:
    with pytest.raises(RuntimeError), transaction(runtime.sessions) as session:
        outbox.queue(
            session,
            team_id=TEAM,
            method="chat.postMessage",
            args={"channel": "C0GENERAL", "text": "never"},
            dedupe_key="never",
            now=datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
        )
        raise RuntimeError("the use case failed after queuing")
    assert listener.heard() == []
    _queue(runtime, "first", "second")
    assert listener.heard() == [""]


def test_a_transaction_that_queued_only_known_keys_notifies_no_one(
    runtime: Runtime, listener: Listener
) -> None:
    _queue(runtime, "once")
    assert listener.heard() == [""]
    # Queued again (a retried request): no new row, nothing for a worker to do.
    _queue(runtime, "once")
    assert listener.heard() == []
    # A known key beside a new one: the new row wakes them, once.
    _queue(runtime, "once", "new")
    assert listener.heard() == [""]


def test_a_row_leased_as_it_was_queued_notifies_no_one(
    runtime: Runtime, make_worker: WorkerFactory, listener: Listener
) -> None:
    # This process's worker runs: a post it can send at once is leased to it as it is queued,
    # and no other process has anything to claim.
    make_worker().start()
    _queue(runtime, "leased")
    assert listener.heard() == []
    # Left for the claim (as a process without a worker queues it): the others are woken.
    _queue(runtime, "claimed", claim=True)
    assert listener.heard() == [""]
