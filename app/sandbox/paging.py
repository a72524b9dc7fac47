"""Cursor paging as Slack's history and directory methods answer it."""

from __future__ import annotations

import base64
import binascii
import math
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from app.sandbox.workspace import SlackError

# Every third page of `users.list` comes back empty with a cursor, as Slack's may: "fewer than the
# requested number of items may be returned, even if the end of the list hasn't been reached".
EMPTY_PAGE_EVERY = 3


def history_page(
    messages: list[dict[str, Any]],
    args: dict[str, Any],
    *,
    newest_first: bool,
    default_limit: int,
    max_limit: int,
) -> dict[str, Any]:
    """One page of `messages` between `oldest` and `latest`, as the history methods answer."""
    inclusive = flag(args.get("inclusive"))
    oldest = _ts_value(args.get("oldest"), Decimal(0), "invalid_ts_oldest")
    latest = _ts_value(args.get("latest"), Decimal(time.time()) + 1, "invalid_ts_latest")

    def within(message: dict[str, Any]) -> bool:
        ts = Decimal(message["ts"])
        if inclusive:
            return oldest <= ts <= latest
        return oldest < ts < latest

    chosen = sorted(
        (m for m in messages if within(m)), key=lambda m: Decimal(m["ts"]), reverse=newest_first
    )
    limit = min(max(_int(args.get("limit"), default_limit), 1), max_limit)
    if args.get("cursor"):
        # The cursor names the last message handed out: the next page starts past it, so
        # messages posted meanwhile neither shift nor repeat the pages.
        after = _cursor_ts(str(args["cursor"]))
        chosen = [
            m
            for m in chosen
            if (Decimal(m["ts"]) < after if newest_first else Decimal(m["ts"]) > after)
        ]
    page, more = chosen[:limit], len(chosen) > limit
    metadata = flag(args.get("include_all_metadata"))
    cursor = _encode(f"next_ts:{page[-1]['ts']}") if more else ""
    return {
        # Slack returns message metadata only to callers who ask for it.
        "messages": [{k: v for k, v in m.items() if metadata or k != "metadata"} for m in page],
        "has_more": more,
        "response_metadata": {"next_cursor": cursor},
    }


def members_page(members: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    """One page of `users.list`: at most half of `limit`, now and then none, until the cursor ends.

    Without a `limit` Slack tries to return everyone at once; with one it promises only "no more
    than" `limit`. The cursor is opaque (base64); anything the stand-in did not issue is
    `invalid_cursor`.
    """
    offset, number = _members_cursor(args.get("cursor"))
    limit = _int(args.get("limit"), 0)
    if limit <= 0:
        page, following = members[offset:], len(members)
    elif number % EMPTY_PAGE_EVERY == EMPTY_PAGE_EVERY - 1:
        page, following = [], offset
    else:
        following = offset + math.ceil(limit / 2)
        page = members[offset:following]
    cursor = _encode(f"users:{following}:{number + 1}") if following < len(members) else ""
    return {"members": page, "response_metadata": {"next_cursor": cursor}}


def flag(value: Any) -> bool:
    """A boolean argument as Slack reads it from a form or JSON body."""
    return value is True or str(value).lower() in ("true", "1")


def _int(value: Any, default: int) -> int:
    # Slack reads a number it cannot parse as if none was given.
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def _encode(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _decode(cursor: str) -> str:
    try:
        return base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise SlackError("invalid_cursor") from None


def _members_cursor(cursor: Any) -> tuple[int, int]:
    if not cursor:
        return 0, 0
    kind, _, rest = _decode(str(cursor)).partition(":")
    offset, _, number = rest.partition(":")
    if kind != "users" or not offset.isdigit() or not number.isdigit():
        raise SlackError("invalid_cursor")
    return int(offset), int(number)


def _cursor_ts(cursor: str) -> Decimal:
    text = _decode(cursor)
    if not text.startswith("next_ts:"):
        raise SlackError("invalid_cursor")
    try:
        return Decimal(text.removeprefix("next_ts:"))
    except InvalidOperation:
        raise SlackError("invalid_cursor") from None


def _ts_value(value: Any, default: Decimal, error: str) -> Decimal:
    if value in (None, ""):
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise SlackError(error) from None
