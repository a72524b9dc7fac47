"""Reading `/kudos` text as Slack sends it, and writing user text back out without side effects.

With `should_escape: true` Slack sends people as `<@U123|name>`, channels as `<#C123|name>`,
broadcasts as `<!here>`, user groups as `<!subteam^S123|@group>`, links as `<https://x|label>`, and
`&`, `<`, `>` typed by the person as `&amp;`, `&lt;`, `&gt;`. An app installed without escaping gets
plain `@name` text instead. `tokenize` splits text into those pieces losslessly; `parse` reads the
kudos out of them; `render_inert` makes text safe for the bot to post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENTITY = re.compile(r"&(amp|lt|gt);")
_UNESCAPE = {"amp": "&", "lt": "<", "gt": ">"}
# One angle-bracket token; `[^<>]` keeps a stray "<" from swallowing the tokens after it.
_ANGLE = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"@([UW][A-Z0-9]{1,20})(?:\|([^|]*))?")
_CHANNEL = re.compile(r"#([CGD][A-Z0-9]{1,20})(?:\|([^|]*))?")
_BROADCAST = re.compile(r"!(here|channel|everyone)(?:\|[^|]*)?")
_GROUP = re.compile(r"!subteam\^([A-Z0-9]{1,20})(?:\|([^|]*))?")
_LINK = re.compile(r"((?:https?|mailto|tel|slack):[^|\s]+)(?:\|([^|]*))?")
# In plain text: "@name" and "#value", each at the start or after white space.
_PLAIN = re.compile(
    r"(?<![^\s(])(?:@(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,79})"
    r"|#(?P<value>[A-Za-z0-9][A-Za-z0-9_-]{0,39}))(?![A-Za-z0-9_-])"
)
_BROADCASTS = ("here", "channel", "everyone")
# A word joiner after "@" keeps the text readable but stops Slack from treating it as a mention.
_INERT_AT = "@\u2060"


def unescape(text: str) -> str:
    """Turn Slack's `&amp;`, `&lt;` and `&gt;` back into `&`, `<` and `>`."""
    return _ENTITY.sub(lambda m: _UNESCAPE[m.group(1)], text)


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` the way Slack expects in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Text:
    """Plain text, still escaped as Slack sent it."""

    raw: str

    @property
    def text(self) -> str:
        """The text as the person typed it."""
        return unescape(self.raw)


@dataclass(frozen=True)
class UserMention:
    """A person: `<@U123|name>`."""

    user_id: str
    label: str | None
    raw: str


@dataclass(frozen=True)
class ChannelMention:
    """A channel: `<#C123|name>`."""

    channel_id: str
    label: str | None
    raw: str


@dataclass(frozen=True)
class Broadcast:
    """`<!here>`, `<!channel>` or `<!everyone>`."""

    kind: str
    raw: str


@dataclass(frozen=True)
class UserGroup:
    """A user group: `<!subteam^S123|@group>`."""

    group_id: str
    label: str | None
    raw: str


@dataclass(frozen=True)
class Link:
    """A link: `<https://x|label>`."""

    url: str
    label: str | None
    raw: str


@dataclass(frozen=True)
class PlainName:
    """An unescaped `@name` (the app was installed without escaping)."""

    name: str
    raw: str


@dataclass(frozen=True)
class ValueTag:
    """A `#value` hashtag."""

    value: str
    raw: str


Token = Text | UserMention | ChannelMention | Broadcast | UserGroup | Link | PlainName | ValueTag


def _angle(inner: str, raw: str) -> Token:
    for pattern, build in (
        (_USER, lambda m: UserMention(m.group(1), m.group(2), raw)),
        (_CHANNEL, lambda m: ChannelMention(m.group(1), m.group(2), raw)),
        (_BROADCAST, lambda m: Broadcast(m.group(1), raw)),
        (_GROUP, lambda m: UserGroup(m.group(1), m.group(2), raw)),
        (_LINK, lambda m: Link(m.group(1), m.group(2), raw)),
    ):
        match = pattern.fullmatch(inner)
        if match:
            return build(match)
    return Text(raw)


def _plain(raw: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    for match in _PLAIN.finditer(raw):
        if match.start() > position:
            tokens.append(Text(raw[position : match.start()]))
        name = match.group("name")
        if name is not None and name.lower() in _BROADCASTS:
            # "@here" typed without escaping is a broadcast, never a person to thank.
            tokens.append(Text(match.group(0)))
        elif name is not None:
            tokens.append(PlainName(name.lower(), match.group(0)))
        else:
            tokens.append(ValueTag(match.group("value").lower(), match.group(0)))
        position = match.end()
    if position < len(raw):
        tokens.append(Text(raw[position:]))
    return tokens


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens whose `raw` parts join back into exactly `text`; never raises."""
    tokens: list[Token] = []
    position = 0
    for match in _ANGLE.finditer(text):
        if match.start() > position:
            tokens.extend(_plain(text[position : match.start()]))
        tokens.append(_angle(match.group(1), match.group(0)))
        position = match.end()
    if position < len(text):
        tokens.extend(_plain(text[position:]))
    # Merge neighbouring text so callers see words, not fragments.
    merged: list[Token] = []
    for token in tokens:
        if isinstance(token, Text) and merged and isinstance(merged[-1], Text):
            merged[-1] = Text(merged[-1].raw + token.raw)
        else:
            merged.append(token)
    return merged


@dataclass(frozen=True)
class ParsedKudos:
    """What a `/kudos` text says: who, what for, which values, and anything loud in it."""

    recipients: tuple[str, ...]
    plain_names: tuple[str, ...]
    values: tuple[str, ...]
    broadcasts: tuple[str, ...]
    user_groups: tuple[str, ...]
    message: str
    tokens: tuple[Token, ...]


_SEPARATOR = re.compile(r"^(?:\s|,|&amp;|\band\b|\+)*$", re.IGNORECASE)


def parse(text: str) -> ParsedKudos:
    """Read a `/kudos` text.

    Every person mentioned is a recipient, wherever the mention stands ("thanks <@U1> and <@U2>
    for the deploy" thanks both); each person counts once however often or however they are
    written. The message is what follows the leading run of mentions, kept escaped as Slack sent
    it, so posting it back shows exactly what was typed.
    """
    tokens = tokenize(text)
    recipients = _unique(t.user_id for t in tokens if isinstance(t, UserMention))
    plain_names = _unique(t.name for t in tokens if isinstance(t, PlainName))
    values = _unique(t.value for t in tokens if isinstance(t, ValueTag))
    broadcasts = _unique(t.kind for t in tokens if isinstance(t, Broadcast))
    groups = _unique(t.group_id for t in tokens if isinstance(t, UserGroup))
    lead = 0
    for index, token in enumerate(tokens):
        if isinstance(token, UserMention | PlainName):
            lead = index + 1
        elif not (isinstance(token, Text) and _SEPARATOR.match(token.raw)):
            break
    message = "".join(t.raw for t in tokens[lead:]).strip()
    return ParsedKudos(recipients, plain_names, values, broadcasts, groups, message, tuple(tokens))


def _unique(items: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))  # type: ignore[call-overload]


_LOUD_PLAIN = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_BARE_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")


def render_inert(message: str) -> str:
    """Return `message` safe for the bot to post: no broadcast or group ever notifies.

    Person and channel mentions and links stay live; `<!here>`, `<!channel>`, `<!everyone>`, user
    groups and plain-text `@here` become readable text with a word joiner after the "@", which
    Slack does not parse as a mention; stray `&`, `<`, `>` are escaped, existing entities kept.
    """
    out: list[str] = []
    for token in tokenize(message):
        if isinstance(token, Broadcast):
            out.append(f"{_INERT_AT}{token.kind}")
        elif isinstance(token, UserGroup):
            label = (token.label or "group").lstrip("@")
            out.append(f"{_INERT_AT}{escape(unescape(label))}")
        elif isinstance(token, UserMention | ChannelMention | Link):
            out.append(token.raw)
        else:
            out.append(_text_inert(token.raw))
    return "".join(out)


def _text_inert(raw: str) -> str:
    safe = _BARE_AMP.sub("&amp;", raw).replace("<", "&lt;").replace(">", "&gt;")
    return _LOUD_PLAIN.sub(lambda m: f"{_INERT_AT}{m.group(1)}", safe)
