"""A file upload queued through the outbox is shared exactly once, whatever happens between and
during its three steps: a worker that dies, a share that times out or answers 500 after sharing,
bytes the upload service took but answered 500 for, a file whose bytes are gone."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from app.delivery import uploads
from app.delivery.uploads import queue_upload
from app.runtime import Runtime
from app.sandbox.slack_api import SlackStandIn
from app.slackapi.web_api import WebApi
from app.store.db import transaction
from app.store.models import OutboxFile, OutboxMessage
from tests.conftest import BOT_TOKEN
from tests.delivery.conftest import FAST, TEAM, WorkerFactory, outbox_row

CHANNEL = "C0PICTURES"
KEY = "digest:2026-W48:picture"
SHARE = KEY + uploads.SHARE_SUFFIX
CONTENT = b"\x89PNG\r\n\x1a\n" + b"picture" * 100
HANG = 1.5
PATIENT = replace(FAST, unsure_wait_seconds=HANG + 0.5, answered_wait_seconds=0.1)


@pytest.fixture(autouse=True)
def pictures_channel(slack: SlackStandIn) -> None:
    # The bot is not a member: the share joins first (files are shared only with members).
    slack.add_channel(CHANNEL, "pictures")


def _queue(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        queue_upload(
            session,
            team_id=TEAM,
            channel_id=CHANNEL,
            filename="picture.png",
            content=CONTENT,
            title="This week",
            alt_txt="who helped whom",
            dedupe_key=KEY,
            now=runtime.clock.now(),
        )


def _deliver(make_worker: WorkerFactory) -> None:
    make_worker(PATIENT).drain(timeout=20)


def _shares(slack: SlackStandIn) -> list[str]:
    return [
        f["id"] for m in slack.channels[CHANNEL].messages.values() for f in m.get("files") or []
    ]


def test_an_upload_is_shared_once_and_queuing_it_again_changes_nothing(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _queue(runtime)
    _queue(runtime)
    _deliver(make_worker)
    [shared] = slack.shared_files(CHANNEL)
    assert (shared.content, shared.title, shared.alt_txt) == (
        CONTENT,
        "This week",
        "who helped whom",
    )
    assert _shares(slack) == [shared.id]
    upload, share = outbox_row(runtime, KEY), outbox_row(runtime, SHARE)
    assert (upload.status, upload.result_ts) == ("sent", shared.id)
    assert share.status == "sent"
    assert slack.channels[CHANNEL].bot_is_member


def test_bytes_taken_but_answered_500_are_uploaded_again_under_a_new_ticket(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.fail_next("upload_url", status=500, after_effect=True)
    _queue(runtime)
    _deliver(make_worker)
    first, second = (c.response for c in slack.calls_to("files.getUploadURLExternal"))
    # The first file was uploaded but never completed: Slack drops it; only the second is shared.
    assert [f.id for f in slack.shared_files()] == [second["file_id"]]
    assert first["file_id"] not in _shares(slack)
    assert _shares(slack) == [second["file_id"]]


def test_a_share_answered_500_after_sharing_is_found_in_history(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    slack.fail_next("files.completeUploadExternal", status=500, after_effect=True)
    _queue(runtime)
    _deliver(make_worker)
    assert len(_shares(slack)) == 1
    assert len(slack.calls_to("files.completeUploadExternal")) == 1
    [looked] = slack.calls_to("conversations.history")
    assert looked.args["channel"] == CHANNEL
    share = outbox_row(runtime, SHARE)
    [message] = [m for m in slack.channels[CHANNEL].messages.values() if m.get("files")]
    assert (share.status, share.result_channel, share.result_ts) == ("sent", CHANNEL, message["ts"])


def test_a_share_that_timed_out_but_was_made_is_not_made_again(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    runtime.slack.close()
    runtime.slack = WebApi(slack.base_url, timeout=0.5)
    slack.hang_next("files.completeUploadExternal", seconds=HANG)
    _queue(runtime)
    _deliver(make_worker)
    assert len(_shares(slack)) == 1
    assert outbox_row(runtime, SHARE).status == "sent"


def test_a_share_made_by_a_worker_that_died_is_found_not_repeated(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _queue(runtime)
    # A worker made the first two steps and recorded them, then shared the file and died before
    # recording the share: its row is leased to it, the lease run out.
    ticket = runtime.slack.call(
        "files.getUploadURLExternal", BOT_TOKEN, {"filename": "p.png", "length": len(CONTENT)}
    )
    runtime.slack.upload(str(ticket["upload_url"]), CONTENT)
    slack.set_bot_member(CHANNEL, True)
    runtime.slack.call(
        "files.completeUploadExternal",
        BOT_TOKEN,
        {"files": [{"id": ticket["file_id"]}], "channel_id": CHANNEL},
    )
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        rows = {
            row.dedupe_key: row
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        }
        upload, share = rows[KEY], rows[SHARE]
        upload.status, upload.finished_at = "sent", now
        upload.result_channel, upload.result_ts = CHANNEL, str(ticket["file_id"])
        share.status, share.claimed_by, share.attempts = "sending", "dead-worker", 1
        share.lease_expires_at = now - timedelta(seconds=PATIENT.lease_seconds)
    slack.reset_calls()
    _deliver(make_worker)
    assert slack.calls_to("files.completeUploadExternal") == []
    assert [c.args["channel"] for c in slack.calls_to("conversations.history")] == [CHANNEL]
    assert _shares(slack) == [ticket["file_id"]]
    assert outbox_row(runtime, SHARE).status == "sent"


def test_an_upload_whose_bytes_are_gone_fails_for_good_and_shares_nothing(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    _queue(runtime)
    with transaction(runtime.sessions) as session:
        session.execute(delete(OutboxFile))
    _deliver(make_worker)
    upload, share = outbox_row(runtime, KEY), outbox_row(runtime, SHARE)
    assert (upload.status, upload.last_error) == ("failed", "the file to upload is gone")
    assert share.status == "failed"
    assert slack.calls_to("files.getUploadURLExternal") == []
    assert slack.shared_files() == []


def test_many_uploads_at_once_each_share_their_own_bytes(
    runtime: Runtime, slack: SlackStandIn, make_worker: WorkerFactory
) -> None:
    """Delivered together by several senders, each file is shared once, none mixed up."""
    contents = {f"up:{n}": CONTENT + bytes([n]) for n in range(6)}
    slack.set_bot_member(CHANNEL, True)
    with transaction(runtime.sessions) as session:
        for key, content in contents.items():
            queue_upload(
                session,
                team_id=TEAM,
                channel_id=CHANNEL,
                filename=f"{key}.png",
                content=content,
                title=key,
                alt_txt=key,
                dedupe_key=key,
                now=runtime.clock.now(),
            )
    _deliver(make_worker)
    shared = {f.title: f.content for f in slack.shared_files(CHANNEL)}
    assert shared == contents
    assert len(_shares(slack)) == len(contents)
