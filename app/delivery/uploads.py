"""Queuing a file upload to a channel (Slack's `files.uploadV2`), exactly once like any post.

Slack takes a file in three steps: `files.getUploadURLExternal` (a file id and an upload URL),
the POST of the bytes to that URL, and `files.completeUploadExternal`, which shares the file in
the channel. The outbox owes them as two rows:

- `UPLOAD` (`dedupe_key`) makes the first two steps and records the file id as its result (its
  `result_ts`). A crash or failure in between only leaves a file Slack never shares (it drops
  uploads that are never completed), so this row is simply tried again, with a new file id.
- `COMPLETE` (`dedupe_key:share`) follows it and takes the recorded file id through the
  follower placeholders, so the id is in the store before the share is ever asked for. When the
  share's answer is ambiguous (a 5xx, a timeout), its next attempt looks in the channel's history
  for a message carrying that file before sharing again, as posts look for their metadata tag.

The bytes wait in a row of their own (`outbox_files`), read only when an upload is claimed, and
go once the upload row is finished.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, Protocol

from sqlalchemy import Connection, delete, exists, select, tuple_
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.delivery.joins import JOIN_FIRST
from app.store.models import OutboxFile, OutboxMessage
from app.store.statuses import UNFINISHED
from app.store.upsert import upsert

UPLOAD: Final = "file_upload"
COMPLETE: Final = "files.completeUploadExternal"
UPLOAD_METHODS = (UPLOAD, COMPLETE)
# In an upload row's arguments: the key of its file's bytes, and the bytes once claimed.
FILE = "$file"
CONTENT = "$content"
SHARE_SUFFIX = ":share"


def queue_upload(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    filename: str,
    content: bytes,
    title: str,
    alt_txt: str,
    dedupe_key: str,
    now: datetime,
    after_key: str | None = None,
) -> None:
    """Queue `content` to be uploaded as `filename` and shared in `channel_id` (after the message
    queued under `after_key`, if given), in `session`'s transaction; a known key is a no-op."""
    upsert(
        session,
        OutboxFile,
        [{"team_id": team_id, "dedupe_key": dedupe_key, "content": content, "created_at": now}],
        key=["team_id", "dedupe_key"],
    )
    upload = outbox.entry(
        team_id=team_id,
        method=UPLOAD,
        args={
            "filename": filename,
            "length": len(content),
            "alt_txt": alt_txt,
            "channel_id": channel_id,
            FILE: dedupe_key,
        },
        dedupe_key=dedupe_key,
        now=now,
        after_key=after_key,
    )
    share = outbox.entry(
        team_id=team_id,
        method=COMPLETE,
        args={
            "files": [{"id": outbox.AFTER_TS, "title": title}],
            "channel_id": channel_id,
            # Slack shares a file only where the bot is a member, whatever chat:write.public says.
            JOIN_FIRST: True,
        },
        dedupe_key=dedupe_key + SHARE_SUFFIX,
        now=now,
        after_key=dedupe_key,
    )
    outbox.queue_all(session, [upload, share])


class _HasFile(Protocol):
    """What `attach_contents` needs of a claimed row (`claims.Claimed` is one)."""

    team_id: str
    args: dict[str, Any]


def attach_contents(bind: Connection, claimed: Iterable[_HasFile]) -> None:
    """Put the bytes of each claimed upload row's file in its arguments (under `CONTENT`), in one
    statement for the round; a row whose file is gone gets none (its send fails for good)."""
    wanting = [row for row in claimed if FILE in row.args]
    if not wanting:
        return
    keys = sorted({(row.team_id, str(row.args[FILE])) for row in wanting})
    found = {
        (team, key): content
        for team, key, content in bind.execute(
            select(OutboxFile.team_id, OutboxFile.dedupe_key, OutboxFile.content).where(
                tuple_(OutboxFile.team_id, OutboxFile.dedupe_key).in_(keys)
            )
        )
    }
    for row in wanting:
        content = found.get((row.team_id, str(row.args[FILE])))
        if content is not None:
            row.args = {**row.args, CONTENT: bytes(content)}


def prune_files(session: Session) -> int:
    """Delete the files whose upload row is finished (or gone); return how many went."""
    unfinished = exists(
        select(OutboxMessage.id).where(
            OutboxMessage.team_id == OutboxFile.team_id,
            OutboxMessage.dedupe_key == OutboxFile.dedupe_key,
            OutboxMessage.status.in_(UNFINISHED),
        )
    )
    result = session.execute(delete(OutboxFile).where(~unfinished))
    return int(result.rowcount)  # type: ignore[attr-defined]
