"""The outbox and the delivery worker against the Slack stand-in: once, paced, retried, told."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from app.delivery import outbox
from app.delivery.config import WorkerConfig
from app.delivery.pruning import prune
from app.runtime import Runtime, build_worker
from app.sandbox.slack_api import SlackStandIn
from app.store.db import transaction
from app.store.models import Kudos, OutboxMessage, Workspace
from app.workspaces.service import Identity, ensure_workspace
from tests.conftest import BOT_TOKEN
from tests.delivery.conftest import FAST, TEAM, ManualTime, WorkerFactory, outbox_row
from tests.waiting import eventually


def _post(
    runtime: Runtime,
    key: str,
    *,
    channel: str = "C0GENERAL",
    text: str = "hello",
    **extra: object,
) -> None:
    with transaction(runtime.sessions) as session:
        outbox.queue(
            session,
            team_id=TEAM,
            method="chat.postMessage",
            args={"channel": channel, "text": text},
            dedupe_key=key,
            now=runtime.clock.now(),
            **extra,  # type: ignore[arg-type]
        )


def _settled(runtime: Runtime, key: str, timeout: float = 10.0) -> OutboxMessage:
    """Wait until the worker has recorded how the row `key` ended, and return it."""
    return eventually(
        lambda: outbox_row(runtime, key),
        lambda row: row.status in ("sent", "failed"),
        what=f"{key} sent or failed",
        timeout=timeout,
    )


def _texts(slack: SlackStandIn, channel: str | None = None) -> list[str]:
    return [message["text"] for message in slack.posted_messages(channel)]


def test_a_message_queued_in_a_rolled_back_transaction_is_never_sent(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    with pytest.raises(RuntimeError), transaction(runtime.sessions) as session:
        outbox.queue(
            session,
            team_id=TEAM,
            method="chat.postMessage",
            args={"channel": "C0GENERAL", "text": "never"},
            dedupe_key="rolled-back",
            now=runtime.clock.now(),
        )
        raise RuntimeError("the command failed after queuing")
    make_worker().drain()
    assert slack.calls_to("chat.postMessage") == []
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_queued_message_is_delivered_once_and_linked_to_its_record(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        kudos = Kudos(
            team_id=TEAM,
            giver_id="U0ALICE",
            channel_id="C0GENERAL",
            message="thanks",
            created_at=now,
        )
        session.add(kudos)
        session.flush()
        kudos_id = kudos.id
        outbox.queue(
            session,
            team_id=TEAM,
            method="chat.postMessage",
            args={"channel": "C0GENERAL", "text": "thanks bob"},
            dedupe_key=f"kudos:{kudos_id}:post",
            now=now,
            link=outbox.Link("kudos", kudos_id),
        )
    worker = make_worker()
    worker.drain()
    worker.drain()
    assert _texts(slack) == ["thanks bob"]
    row = outbox_row(runtime, f"kudos:{kudos_id}:post")
    assert (row.status, row.attempts, row.result_channel) == ("sent", 1, "C0GENERAL")
    with runtime.sessions() as session:
        stored = session.get(Kudos, kudos_id)
        assert stored is not None
        assert (stored.post_channel_id, stored.post_ts) == ("C0GENERAL", row.result_ts)
        assert stored.post_ts == slack.posted_messages("C0GENERAL")[0]["ts"]


def test_queuing_the_same_dedupe_key_twice_is_a_no_op(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _post(runtime, "same", text="first")
    _post(runtime, "same", text="second")
    make_worker().drain()
    assert _texts(slack) == ["first"]


def test_the_started_worker_wakes_when_its_process_queues(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    # A long poll interval: only the doorbell can explain a prompt delivery.
    make_worker(WorkerConfig(poll_seconds=30)).start()
    time.sleep(0.2)
    started = time.monotonic()
    _post(runtime, "wake")
    slack.wait_for("chat.postMessage", timeout=5)
    assert time.monotonic() - started < 5


def test_after_a_429_the_retry_waits_retry_after_and_delivers_once(
    manual: ManualTime, slack: SlackStandIn
) -> None:
    slack.fail_next("chat.postMessage", times=1, status=429, retry_after=2)
    _post(manual.runtime, "limited", text="patient")
    manual.settle()
    row = outbox_row(manual.runtime, "limited")
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.next_attempt_at - manual.now() == timedelta(seconds=2)
    row = manual.until_sent("limited")
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [429, 200]
    assert _texts(slack) == ["patient"]
    assert row.attempts == 1


def test_two_server_errors_then_success_deliver_once(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.set_bot_member("C0GENERAL", True)  # lookups read its history
    slack.fail_next("chat.postMessage", times=2, status=500)
    # A 5xx may hide a post: each retry waits a moment, then looks before posting.
    make_worker(replace(FAST, answered_wait_seconds=0.1)).start()
    _post(runtime, "flaky", text="eventually")
    slack.wait_for("chat.postMessage", timeout=10)
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [500, 500, 200]
    assert len(slack.calls_to("conversations.history")) == 2
    assert _texts(slack) == ["eventually"]
    row = _settled(runtime, "flaky")
    assert (row.status, row.attempts) == ("sent", 3)


def test_a_call_that_times_out_is_retried(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    runtime.slack.close()
    runtime.slack = type(runtime.slack)(slack.base_url, timeout=0.5)
    slack.hang_next("chat.postEphemeral", times=1, seconds=3)
    worker = make_worker()
    with transaction(runtime.sessions) as session:
        outbox.queue(
            session,
            team_id=TEAM,
            method="chat.postEphemeral",
            args={"channel": "C0GENERAL", "user": "U0ALICE", "text": "psst"},
            dedupe_key="slow",
            now=runtime.clock.now(),
        )
    worker.drain(timeout=15)
    row = outbox_row(runtime, "slow")
    assert row.status == "sent"
    assert row.attempts == 2
    assert "timed out" not in (row.last_error or "")


def test_a_permanent_error_stops_retrying_and_tells_the_waiting_person(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.add_channel("C0SECRET", "secret", is_private=True, bot_is_member=False)
    response_url = slack.new_response_url()
    _post(
        runtime,
        "kudos:1:post",
        channel="C0SECRET",
        notice=outbox.Notice(
            user_id="U0ALICE", what="your kudos for bob", response_url=response_url
        ),
    )
    make_worker().drain()
    assert len(slack.calls_to("chat.postMessage")) == 1
    row = outbox_row(runtime, "kudos:1:post")
    assert (row.status, row.last_error) == ("failed", "channel_not_found")
    told = slack.calls_to("response_url")
    assert len(told) == 1
    payload = told[0].args
    assert payload["response_type"] == "ephemeral"
    assert "your kudos for bob" in payload["text"]
    assert "/invite" in payload["text"]


def test_without_a_response_url_the_person_is_told_by_dm(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _post(
        runtime,
        "to-nowhere",
        channel="C0MISSING",
        notice=outbox.Notice(user_id="U0BOB", what="your ask"),
    )
    make_worker().drain()
    assert outbox_row(runtime, "to-nowhere").last_error == "channel_not_found"
    dms = [m for m in slack.posted_messages() if "your ask" in m["text"]]
    assert len(dms) == 1
    assert dms[0]["channel"].startswith("D")


def test_one_channel_is_paced_while_another_goes_on(
    manual: ManualTime, slack: SlackStandIn
) -> None:
    slack.add_channel("C0BUSY", "busy")
    slack.add_channel("C0QUIET", "quiet")
    for n in range(6):
        _post(manual.runtime, f"busy-{n}", channel="C0BUSY", text=f"busy {n}")
    for n in range(2):
        _post(manual.runtime, f"quiet-{n}", channel="C0QUIET", text=f"quiet {n}")
    start = manual.now()

    def sent_after(key: str) -> float:
        row = manual.until_sent(key)
        assert row.finished_at is not None
        return (row.finished_at - start).total_seconds()

    # Rounded: the pacer's arithmetic is in floats.
    busy = sorted(round(sent_after(f"busy-{n}"), 2) for n in range(6))
    quiet = [round(sent_after(f"quiet-{n}"), 2) for n in range(2)]
    # A burst of three, then one a second; the quiet channel is not held up by the busy one.
    assert busy == [0, 0, 0, 1, 2, 3]
    assert quiet == [0, 0]
    assert all(call.status == 200 for call in slack.calls_to("chat.postMessage"))


def test_a_row_left_by_a_dead_worker_is_taken_up_after_its_lease(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _post(runtime, "orphan")
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        row = session.scalars(select(OutboxMessage)).one()
        row.status, row.claimed_by, row.attempts = "sending", "dead-worker", 1
        row.lease_expires_at = now + timedelta(seconds=30)
    make_worker().drain(timeout=1)
    assert slack.calls_to("chat.postMessage") == []
    with transaction(runtime.sessions) as session:
        session.scalars(select(OutboxMessage)).one().lease_expires_at = now - timedelta(seconds=1)
    make_worker().drain()
    assert _texts(slack) == ["hello"]
    assert outbox_row(runtime, "orphan").attempts == 2


def test_an_inactive_workspace_holds_its_messages_until_reinstalled(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    with transaction(runtime.sessions) as session:
        session.get_one(Workspace, TEAM).active = False
    _post(runtime, "held")
    make_worker().drain(timeout=1)
    assert slack.calls_to("chat.postMessage") == []
    with transaction(runtime.sessions) as session:
        ensure_workspace(session, Identity(TEAM, "Acme", "UBOT", "BBOT"), runtime.clock.now())
    make_worker().drain()
    assert _texts(slack) == ["hello"]


def test_a_revoked_token_pauses_the_workspace_instead_of_failing_messages(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.fail_next("chat.postMessage", times=1, error="token_revoked", status=200)
    _post(runtime, "paused")
    make_worker().drain(timeout=2)
    row = outbox_row(runtime, "paused")
    assert (row.status, row.last_error) == ("pending", "token_revoked")
    with runtime.sessions() as session:
        assert not session.get_one(Workspace, TEAM).active


def test_a_follow_up_waits_for_the_post_it_updates(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    with transaction(runtime.sessions) as session:
        outbox.queue(
            session,
            team_id=TEAM,
            method="chat.update",
            args={"channel": outbox.AFTER_CHANNEL, "ts": outbox.AFTER_TS, "text": "edited"},
            dedupe_key="post:edit",
            after_key="post",
            now=runtime.clock.now(),
        )
    _post(runtime, "post", text="original")
    make_worker().drain()
    posted = slack.posted_messages("C0GENERAL")[0]
    updates = slack.calls_to("chat.update")
    assert len(updates) == 1
    assert (updates[0].args["channel"], updates[0].args["ts"]) == ("C0GENERAL", posted["ts"])


def test_prune_removes_old_finished_rows_only(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _post(runtime, "old")
    _post(runtime, "recent")
    make_worker().drain()
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        old = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "old")).one()
        old.finished_at = now - timedelta(days=8)
        assert prune(session, now, WorkerConfig()) == 1
    with runtime.sessions() as session:
        keys = set(session.scalars(select(OutboxMessage.dedupe_key)))
    assert keys == {"recent"}


def _queue_edits_of_post(runtime: Runtime, count: int, now: datetime) -> None:
    """Queue `count` edits ("v1", "v2", ...) that follow the message keyed "post", in order."""
    with transaction(runtime.sessions) as session:
        for n in range(1, count + 1):
            outbox.queue(
                session,
                team_id=TEAM,
                method="chat.update",
                args={"channel": outbox.AFTER_CHANNEL, "ts": outbox.AFTER_TS, "text": f"v{n}"},
                dedupe_key=f"post:edit:{n}",
                after_key="post",
                now=now,
            )


def test_followers_of_one_message_keep_their_order(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _post(runtime, "post", text="v0")
    _queue_edits_of_post(runtime, 5, runtime.clock.now())
    make_worker().drain()
    assert [c.args["text"] for c in slack.calls_to("chat.update")] == [f"v{n}" for n in range(1, 6)]


class _BusyThenReady:
    """A token source whose store is busy for the first `busy` reads, like SQLite under load."""

    def __init__(self, busy: int) -> None:
        self.busy = busy

    def bot_token(self, team_id: str) -> str | None:
        if self.busy > 0:
            self.busy -= 1
            raise OperationalError("SELECT bot token", {}, TimeoutError("database is busy"))
        return BOT_TOKEN if team_id == TEAM else None


def test_a_database_too_busy_to_read_the_token_delays_the_post_but_never_fails_it(
    runtime: Runtime, slack: SlackStandIn
) -> None:
    _post(runtime, "busy", text="held up")
    worker = build_worker(runtime, _BusyThenReady(busy=3), FAST)
    worker.drain(timeout=20)
    row = outbox_row(runtime, "busy")
    assert (row.status, row.attempts) == ("sent", 4)
    assert _texts(slack) == ["held up"]


def test_followers_go_as_soon_as_what_they_follow_is_recorded(
    manual: ManualTime, slack: SlackStandIn
) -> None:
    _post(manual.runtime, "post", text="v0")
    _queue_edits_of_post(manual.runtime, 3, manual.now())
    start = manual.now()
    manual.runtime.doorbell.set()
    # The clock never moves: no follower waits for a poll, each goes once the one before it
    # (the post, then the edit queued before it) is recorded, and in the order queued.
    manual.settle()
    for key in ("post", "post:edit:1", "post:edit:2", "post:edit:3"):
        row = outbox_row(manual.runtime, key)
        assert (row.status, row.finished_at) == ("sent", start)
    assert [c.args["text"] for c in slack.calls_to("chat.update")] == ["v1", "v2", "v3"]


@pytest.mark.postgres
def test_a_round_chosen_as_a_deadlocks_victim_is_recorded_by_the_next(
    manual: ManualTime, slack: SlackStandIn
) -> None:
    runtime = manual.runtime
    # PostgreSQL refuses the first round that marks a row sent, as it does the loser of a
    # deadlock (a withdrawal updating the same rows in another order, say); a sequence keeps
    # count, as it is not rolled back with the round.
    with transaction(runtime.sessions) as session:
        session.execute(text(_FAIL_FIRST_RECORD))
    _post(runtime, "post", text="hello")
    manual.runtime.doorbell.set()
    # The clock never moves, so the lease never runs out: only a round that kept the result can
    # record it.
    manual.settle()
    row = outbox_row(runtime, "post")
    assert (row.status, row.attempts) == ("sent", 1)
    assert _texts(slack) == ["hello"]
    with runtime.sessions() as session:
        assert session.scalar(text("SELECT last_value FROM record_failures")) == 2


_FAIL_FIRST_RECORD = """
CREATE SEQUENCE record_failures;
CREATE FUNCTION fail_first_record() RETURNS trigger AS $$
BEGIN
    IF NEW.status = 'sent' AND nextval('record_failures') = 1 THEN
        RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER fail_first_record BEFORE UPDATE ON outbox_messages
    FOR EACH ROW EXECUTE FUNCTION fail_first_record();
"""
