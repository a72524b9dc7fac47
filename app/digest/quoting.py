"""How the digest quotes people: one-line excerpts of their messages that never ping anyone, and
links to the messages quoted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.permalinks import permalink
from app.slackapi.mrkdwn import (
    Broadcast,
    ChannelMention,
    Hyperlink,
    UserGroup,
    UserMention,
    escape,
    tokenize,
    unescape,
)

EXCERPT = 100
# What makes text more than plain words: Slack's brackets and entities, "@name" and "#value".
_MARKUP = re.compile(r"[<>&@#]")


def message_link(domain: str | None, channel_id: str | None, ts: str | None) -> str | None:
    """Slack's permalink for message `ts` in `channel_id`, or None when it was never posted."""
    if not channel_id or not ts:
        return None
    return permalink(domain, channel_id, ts)


def excerpt(raw: str, names: Mapping[str, str], limit: int = EXCERPT) -> str:
    """A one-line excerpt of Slack-escaped `raw`, about `limit` visible characters, ending in "…".

    The result stays Slack-escaped (render it with `render_inert`); person mentions become plain
    "@name" so that quoting someone's message never pings the people it mentions; links, channel
    mentions and broadcasts are kept whole or dropped, never cut in half.
    """
    flat = " ".join(raw.split())
    if _MARKUP.search(flat) is None:
        # Plain words, the usual message: one text token, shown exactly as it is stored.
        return flat if len(flat) <= limit else (_cut(flat, limit) + "…").strip()
    return _tokenized_excerpt(flat, names, limit)


def _tokenized_excerpt(flat: str, names: Mapping[str, str], limit: int) -> str:
    """`excerpt` of one-line `flat`, token by token: what any text with markup takes."""
    pieces: list[str] = []
    room = limit
    for token in tokenize(flat):
        shown, piece = _visible(token, names)
        if len(shown) > room:
            if isinstance(token, ChannelMention | Hyperlink | Broadcast | UserGroup):
                pieces.append("…")
            else:
                pieces.append(escape(_cut(shown, room)) + "…")
            break
        pieces.append(piece)
        room -= len(shown)
    return "".join(pieces).strip()


def _visible(token: Any, names: Mapping[str, str]) -> tuple[str, str]:
    """What a token shows, and the Slack-escaped text that shows it."""
    if isinstance(token, UserMention):
        label = unescape(token.label) if token.label else names.get(token.user_id, "someone")
        shown = "@" + label.lstrip("@")
        return shown, escape(shown)
    if isinstance(token, ChannelMention | Hyperlink | UserGroup):
        return unescape(token.label or token.raw), token.raw
    if isinstance(token, Broadcast):
        return "@" + token.kind, token.raw
    return unescape(token.raw), token.raw


def _cut(text: str, room: int) -> str:
    """The first `room` characters of `text`, ended at a word boundary when that keeps most."""
    cut = text[:room]
    space = cut.rfind(" ")
    # Prefer a word boundary unless that throws most of the room away.
    return (cut[:space] if space > room // 2 else cut).rstrip()
