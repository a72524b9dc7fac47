"""Slack's file upload as the stand-in serves it: the three steps of slack-sdk's `files_upload_v2`.

1. `files.getUploadURLExternal` (`filename`, `length`; `alt_txt`, `snippet_type` optional) answers
   a `file_id` and an `upload_url` on the stand-in's own server;
2. the client POSTs the file's bytes to that URL (raw, as slack-sdk sends them), which answers
   200 `OK - <bytes>` when it took exactly the `length` announced;
3. `files.completeUploadExternal` (`files`: a JSON array of `{id, title}`; `channel_id` or
   `channels`; `initial_comment`, `thread_ts`) completes each file once and shares it: a message
   with `files` in each channel's history, from the bot.

STRICTNESS.md lists each rule and the Slack page (or report) it follows.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from app.sandbox.workspace import Channel, SlackError, Workspace

# An image description longer than this is refused (files.getUploadURLExternal#errors).
MAX_ALT_TXT = 1000
# What completeUploadExternal accepts as a channel id (Slack's own validation message, quoted
# in slackapi/bolt-js#2115): a user id is refused.
CHANNEL_ID = re.compile(r"^[CGDZ][A-Z0-9]{8,}$")
UPLOAD_PATH = "/upload/v1/"
# The Web API methods this module serves (the upload URL is not one).
FILE_METHODS = ("files.getUploadURLExternal", "files.completeUploadExternal")


@dataclass
class Upload:
    """One file as the stand-in holds it, from its upload URL to its share."""

    id: str
    filename: str
    length: int
    alt_txt: str | None
    secret: str
    content: bytes | None = None
    completed: bool = False
    title: str | None = None
    channels: list[str] = field(default_factory=list)
    # The messages that shared it, one per channel.
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FileStore:
    """Files by id, and where upload URLs point (the stand-in's own server, set when it starts)."""

    base_url: str = ""
    uploads: dict[str, Upload] = field(default_factory=dict)

    def by_secret(self, path: str) -> Upload | None:
        """The upload whose URL has `path`, or None."""
        secret = path.removeprefix(UPLOAD_PATH)
        return next((u for u in self.uploads.values() if u.secret == secret), None)


def get_upload_url(s: Workspace, files: FileStore, args: dict[str, Any]) -> dict[str, Any]:
    """`files.getUploadURLExternal`: a new file id and the URL to POST its bytes to."""
    filename = str(args.get("filename") or "").strip()
    if not filename:
        raise SlackError("invalid_arguments", messages=("missing required field: filename",))
    try:
        length = int(str(args.get("length") or "0"))
    except ValueError:
        raise SlackError("invalid_arguments", messages=("invalid `length`",)) from None
    if length <= 0:
        # "Typically only occurs when the length provided is 0."
        raise SlackError("missing_argument")
    alt_txt = args.get("alt_txt")
    if alt_txt is not None and len(str(alt_txt)) > MAX_ALT_TXT:
        raise SlackError("alt_txt_too_large")
    upload = Upload(
        id=f"F{s.new_id():010d}",
        filename=filename,
        length=length,
        alt_txt=None if alt_txt is None else str(alt_txt),
        secret=secrets.token_hex(16),
    )
    files.uploads[upload.id] = upload
    return {"upload_url": files.base_url + UPLOAD_PATH + upload.secret, "file_id": upload.id}


def receive(upload: Upload, body: bytes) -> str | None:
    """Take the POSTed bytes of `upload`; return why they are refused, or None."""
    if upload.completed:
        return "this upload is complete"
    if len(body) != upload.length:
        return f"expected {upload.length} bytes, got {len(body)}"
    upload.content = body
    return None


def complete_upload(s: Workspace, files: FileStore, args: dict[str, Any]) -> dict[str, Any]:
    """`files.completeUploadExternal`: complete each file once and share it where asked."""
    listed = args.get("files")
    if (
        not isinstance(listed, list)
        or not listed
        or not all(isinstance(item, dict) and item.get("id") for item in listed)
    ):
        raise SlackError("invalid_arguments", messages=("`files` must be an array of {id}",))
    targets = _targets(args)
    uploads: list[tuple[Upload, str | None]] = []
    for item in listed:
        upload = files.uploads.get(str(item["id"]))
        # Unknown, never uploaded, or completed already: the upload ticket is no more.
        if upload is None or upload.content is None or upload.completed:
            raise SlackError("file_not_found")
        uploads.append((upload, str(item["title"]) if item.get("title") else None))
    channels = [_shareable(s, channel_id) for channel_id in targets]
    thread_ts = str(args.get("thread_ts") or "") or None
    for upload, title in uploads:
        upload.completed = True
        upload.title = title or upload.filename
    for channel in channels:
        ts = s.next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "text": str(args.get("initial_comment") or ""),
            "user": s.bot_user_id,
            "upload": True,
            "files": [_file_object(s, upload) for upload, _ in uploads],
            "ts": ts,
            "team": s.team_id,
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
        channel.messages[ts] = message
        for upload, _ in uploads:
            upload.channels.append(channel.id)
            upload.messages.append(message)
    return {"files": [{"id": upload.id, "title": upload.title} for upload, _ in uploads]}


def _targets(args: dict[str, Any]) -> list[str]:
    """The channel ids a completion shares in: `channel_id`, or the comma list `channels`."""
    channel_id = str(args.get("channel_id") or "")
    listed = [c.strip() for c in str(args.get("channels") or "").split(",") if c.strip()]
    if channel_id and listed:
        raise SlackError("invalid_arguments", messages=("give channel_id or channels, not both",))
    targets = [channel_id] if channel_id else listed
    for target in targets:
        if not CHANNEL_ID.match(target):
            raise SlackError(
                "invalid_arguments",
                messages=("input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$",),
            )
    if args.get("thread_ts") and not targets:
        raise SlackError("invalid_arguments", messages=("thread_ts needs a channel",))
    return targets


def _shareable(s: Workspace, channel_id: str) -> Channel:
    """The channel to share in, if the bot may: it must be a member, even of a public one."""
    channel = s.channels.get(channel_id)
    if channel is None or (channel.is_private and not channel.bot_is_member):
        raise SlackError("invalid_channel")
    if channel.is_archived:
        raise SlackError("invalid_channel")
    if not channel.bot_is_member:
        # chat:write.public does not reach file shares (getnao/nao#1372 reports the answer).
        raise SlackError("not_in_channel")
    return channel


def _file_object(s: Workspace, upload: Upload) -> dict[str, Any]:
    """The file as a message's `files` carries it (the fields a reader of history needs)."""
    extension = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    return {
        "id": upload.id,
        "name": upload.filename,
        "title": upload.title,
        "filetype": extension,
        "mimetype": "image/png" if extension == "png" else "application/octet-stream",
        "size": upload.length,
        "user": s.bot_user_id,
        **({"alt_txt": upload.alt_txt} if upload.alt_txt else {}),
    }
