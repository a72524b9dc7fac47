"""The Slack calls of an upload's two outbox rows (see uploads.py), and how each ended.

`UPLOAD` gets a file id and upload URL and POSTs the bytes there; its result is the file id.
`COMPLETE` shares that file in its channel, joining the channel first; after an ambiguous
answer, its next attempt looks in the channel's history for a message carrying the file and
records that message instead of sharing again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from app.delivery.joins import JOIN_FIRST, ChannelJoins
from app.delivery.sender import (
    SLACK_ERRORS,
    Outcome,
    failed_outcome,
    history_query,
    looked_up,
    may_have_acted,
    page_through,
)
from app.delivery.uploads import COMPLETE, CONTENT, FILE, UPLOAD
from app.slackapi.web_api import TransientError, WebApi


def send_upload_step(
    api: WebApi,
    method: str,
    args: Mapping[str, Any],
    token: str,
    team_id: str = "",
    look_since: datetime | None = None,
    joins: ChannelJoins | None = None,
) -> Outcome:
    """Make the calls an `UPLOAD` or `COMPLETE` row owes and return how they ended; never raises
    Slack's errors. With `look_since`, a share first looks for the file already shared."""
    if method == UPLOAD:
        return _upload(api, args, token)
    if method == COMPLETE:
        return _complete(api, args, token, team_id, look_since, joins)
    raise ValueError(f"not an upload step: {method!r}")


def _upload(api: WebApi, args: Mapping[str, Any], token: str) -> Outcome:
    """Steps one and two: a file id and upload URL for the file, then its bytes to that URL."""
    content = args.get(CONTENT)
    if not isinstance(content, bytes):
        return Outcome.permanent_failure("the file to upload is gone")
    ticket_args = {key: value for key, value in args.items() if not key.startswith("$")}
    ticket_args.pop("channel_id", None)
    ticket_args["length"] = len(content)
    try:
        ticket = api.call("files.getUploadURLExternal", token, ticket_args)
        api.upload(str(ticket["upload_url"]), content)
    except SLACK_ERRORS as exc:
        # Whatever happened, no file was shared: the next attempt starts again with a new id.
        return failed_outcome(exc)
    channel = str(args.get("channel_id") or "") or None
    return Outcome(ok=True, channel=channel, ts=str(ticket["file_id"]))


def _complete(
    api: WebApi,
    args: Mapping[str, Any],
    token: str,
    team_id: str,
    look_since: datetime | None,
    joins: ChannelJoins | None,
) -> Outcome:
    """Step three: share the uploaded file in its channel, unless an earlier attempt did."""
    channel = str(args.get("channel_id") or "")
    call = {key: value for key, value in args.items() if key not in (JOIN_FIRST, FILE)}
    file_ids = {str(item.get("id")) for item in call.get("files") or [] if isinstance(item, dict)}
    try:
        if args.get(JOIN_FIRST) and joins is not None and channel:
            joins.ensure(team_id, token, channel)
        if look_since is not None and channel:
            found = _find_share(api, token, channel, file_ids, look_since, team_id)
            if found is not None:
                return found
    except SLACK_ERRORS as exc:
        # Nothing was shared by this attempt; an earlier one that may have stays unsettled.
        unsure = look_since is not None
        return replace(failed_outcome(exc), unsure=unsure, in_flight=False, called=False)
    try:
        api.call(COMPLETE, token, call)
    except SLACK_ERRORS as exc:
        failed = failed_outcome(exc)
        if isinstance(exc, TransientError) and may_have_acted(exc):
            return replace(failed, unsure=True, in_flight=not exc.answered)
        return failed
    # Slack's answer names the files, not the message that shares them.
    return Outcome(ok=True, channel=channel or None)


def _find_share(
    api: WebApi,
    token: str,
    channel: str,
    file_ids: set[str],
    since: datetime,
    team_id: str,
) -> Outcome | None:
    """Return a sent `Outcome` for the message in `channel` that shares one of `file_ids`, or
    None (errors as `looked_up`)."""

    def shares(message: Mapping[str, Any]) -> bool:
        return bool(file_ids & {str(f.get("id")) for f in message.get("files") or []})

    query = history_query(channel, since)
    return looked_up(
        team_id,
        lambda: page_through(api, token, team_id, "conversations.history", query, shares),
    )
