"""Reading `/kudos` text as Slack sends it, and writing user text back out without side effects.

With `should_escape: true` Slack sends people as `<@U123|name>`, channels as `<#C123|name>`,
broadcasts as `<!here>`, user groups as `<!subteam^S123|@group>`, links as `<https://x|label>`, and
`&`, `<`, `>` typed by the person as `&amp;`, `&lt;`, `&gt;`. An app installed without escaping gets
plain `@name` text instead. `tokenize` splits text into those pieces losslessly; `parse` reads the
kudos out of them; `render_inert` makes text safe for the bot to post. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

BroadcastKind: TypeAlias = Literal["here", "channel", "everyone"]

_ENTITY = re.compile(r"&(amp|lt|gt);")
_UNESCAPE = {"amp": "&", "lt": "<", "gt": ">"}
# One angle-bracket token; `[^<>]` keeps a stray "<" from swallowing the tokens after it.
_ANGLE = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"@([UW][A-Z0-9]{1,20})(?:\|([^|]*))?")
_CHANNEL = re.compile(r"#([CGD][A-Z0-9]{1,20})(?:\|([^|]*))?")
_BROADCAST = re.compile(r"!(here|channel|everyone)(?:\|[^|]*)?")
_GROUP = re.compile(r"!subteam\^([A-Z0-9]{1,20})(?:\|([^|]*))?")
_LINK = re.compile(r"((?:https?|mailto|tel|slack):[^|\s]+)(?:\|([^|]*))?")
# In plain text: "@name" at the start, after white space or "(", and "#value" at the start or
# after white space. A name may hold dots but never ends in one ("thanks @bob." thanks "bob").
_PLAIN = re.compile(
    r"(?<![^\s(])@(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9_-])?)"
    r"(?![A-Za-z0-9_-]|\.[A-Za-z0-9_-])"
    r"|(?<!\S)#(?P<value>[A-Za-z0-9_-]{1,40})(?![A-Za-z0-9_-])"
)
# `_PLAIN`'s "#value" alone, for reading tags without building every token.
_VALUE = re.compile(r"(?<!\S)#([A-Za-z0-9_-]{1,40})(?![A-Za-z0-9_-])")
_BROADCASTS: tuple[BroadcastKind, ...] = ("here", "channel", "everyone")
# Why a word joiner (U+2060) after the "@": Slack turns text into a broadcast only when it sees
# the literal keyword `@here` / `@channel` / `@everyone` (or the `<!here>` token). An invisible
# word joiner between "@" and the word breaks that match, so nobody is notified, while people
# still read "@here". Wrapping the word in backticks would also be inert but breaks when the text
# already sits inside code formatting and changes how the message looks.
_INERT_AT = "@\u2060"


def unescape(text: str) -> str:
    """Turn Slack's `&amp;`, `&lt;` and `&gt;` back into `&`, `<` and `>` (one pass, no others)."""
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
    """A person: `<@U123|name>`; `label` is None without `|`, "" with an empty one."""

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
    """`<!here>`, `<!channel>` or `<!everyone>` (label or not), or the same typed unescaped."""

    kind: BroadcastKind
    raw: str


@dataclass(frozen=True)
class UserGroup:
    """A user group: `<!subteam^S123|@group>`."""

    group_id: str
    label: str | None
    raw: str


@dataclass(frozen=True)
class Hyperlink:
    """A link: `<https://x|label>`, `<mailto:a@b|a@b>`."""

    url: str
    label: str | None
    raw: str


@dataclass(frozen=True)
class PlainName:
    """An unescaped `@name` (the app was installed without escaping); `name` is lowercase."""

    name: str
    raw: str


@dataclass(frozen=True)
class ValueTag:
    """A `#value` hashtag; `value` is lowercase."""

    value: str
    raw: str


Token: TypeAlias = (
    Text | UserMention | ChannelMention | Broadcast | UserGroup | Hyperlink | PlainName | ValueTag
)


def _kind(word: str) -> BroadcastKind | None:
    lowered = word.lower()
    for kind in _BROADCASTS:
        if kind == lowered:
            return kind
    return None


def _angle(inner: str, raw: str) -> Token:
    if match := _USER.fullmatch(inner):
        return UserMention(match.group(1), match.group(2), raw)
    if match := _CHANNEL.fullmatch(inner):
        return ChannelMention(match.group(1), match.group(2), raw)
    if (match := _BROADCAST.fullmatch(inner)) and (kind := _kind(match.group(1))):
        return Broadcast(kind, raw)
    if match := _GROUP.fullmatch(inner):
        return UserGroup(match.group(1), match.group(2), raw)
    if match := _LINK.fullmatch(inner):
        return Hyperlink(match.group(1), match.group(2), raw)
    # Anything else in brackets (`<@u1>`, `<!subteam^>`, `<!date^…>`) is just text.
    return Text(raw)


def _plain(raw: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    for match in _PLAIN.finditer(raw):
        if match.start() > position:
            tokens.append(Text(raw[position : match.start()]))
        name, value = match.group("name"), match.group("value")
        if name is not None:
            kind = _kind(name)
            # "@here" typed without escaping is a broadcast, never a person to thank.
            tokens.append(
                Broadcast(kind, match.group(0)) if kind else PlainName(name.lower(), match.group(0))
            )
        else:
            tokens.append(ValueTag(value.lower(), match.group(0)))
        position = match.end()
    if position < len(raw):
        tokens.append(Text(raw[position:]))
    return tokens


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens whose `raw` parts join back into exactly `text`; never raises.

    Bracket tokens are taken out first, so a `#` or `@` inside `<#C1|general>` or a link is never
    a value or a name; only the text between them is scanned for `@name` and `#value`.
    """
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


def value_tags(text: str) -> list[str]:
    """The values of `text`'s `#value` tags, lowercase and in order: exactly those `tokenize`
    finds, without building its tokens (the digest reads thousands of asks' tags)."""
    if "#" not in text:
        return []  # most texts have no tag
    # `tokenize` scans only the text between bracket tokens, each piece on its own: sliced, as
    # there, so a piece's start counts as white space before a tag (a pattern given a start
    # position would look behind it). A name never holds a "#", so the values `_PLAIN` finds
    # are the ones this pattern finds in the same pieces.
    values: list[str] = []
    position = 0
    for match in _ANGLE.finditer(text):
        if match.start() > position:
            values.extend(_VALUE.findall(text[position : match.start()]))
        position = match.end()
    if position < len(text):
        values.extend(_VALUE.findall(text[position:]))
    return [value.lower() for value in values]


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


# Text allowed between two leading recipients: white space, commas, "and", "&amp;", "+"/"++".
_SEPARATOR = re.compile(r"(?:\s|,|&amp;|\band\b|\+)*", re.IGNORECASE)
# What may follow the last leading recipient before the message: a "++" and commas or colons.
_AFTER_LEAD = re.compile(r"^(?:\s|,|:|\+\+)*")


def parse(text: str) -> ParsedKudos:
    """Read a `/kudos` text; never raises.

    Recipients are ALL well-formed user mentions anywhere in the text, not only the leading ones:
    "thanks <@U1> and <@U2> for the deploy" thanks both. Each person counts once, in order of
    first appearance, however often or however written (`<@U1>`, `<@U1|al>`, `<@U1>++`). Plain
    `@names` (apps installed without escaping) are returned apart, lowercase, to be resolved
    against the member directory. The message is what follows the leading run of recipients
    (mentions and plain names separated by white space, commas, "and" or "&amp;"), trimmed; it is
    kept escaped exactly as Slack sent it, mentions inside it included, so posting it back shows
    what was typed.
    """
    tokens = tokenize(text)
    recipients = _unique(t.user_id for t in tokens if isinstance(t, UserMention))
    plain_names = _unique(t.name for t in tokens if isinstance(t, PlainName))
    values = _unique(t.value for t in tokens if isinstance(t, ValueTag))
    broadcasts = _unique(t.kind for t in tokens if isinstance(t, Broadcast))
    groups = _unique(t.group_id for t in tokens if isinstance(t, UserGroup))
    return ParsedKudos(
        recipients, plain_names, values, broadcasts, groups, _message(tokens), tuple(tokens)
    )


@dataclass(frozen=True)
class Lead:
    """The people named at the start of a text, as written (twice if named twice), and what
    follows them."""

    people: tuple[str, ...]
    plain_names: tuple[str, ...]
    rest: str


def split_lead(text: str) -> Lead:
    """Split `text` into the leading run of people (as `parse` reads it) and the rest, trimmed;
    mentions inside the rest are not people named. Never raises."""
    tokens = tokenize(text)
    lead = tokens[: _lead_length(tokens)]
    return Lead(
        tuple(t.user_id for t in lead if isinstance(t, UserMention)),
        tuple(t.name for t in lead if isinstance(t, PlainName)),
        _message(tokens),
    )


def _lead_length(tokens: list[Token]) -> int:
    lead = 0
    for index, token in enumerate(tokens):
        if isinstance(token, UserMention | PlainName):
            lead = index + 1
        elif not (isinstance(token, Text) and _SEPARATOR.fullmatch(token.raw)):
            break
    return lead


def _message(tokens: list[Token]) -> str:
    lead = _lead_length(tokens)
    rest = "".join(t.raw for t in tokens[lead:])
    if lead:
        rest = _AFTER_LEAD.sub("", rest, count=1)
    return rest.strip()


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# A word character before the "@" makes it an address ("ops@here.io"), not a broadcast.
_LOUD_PLAIN = re.compile(r"(?<!\w)@(here|channel|everyone)\b", re.IGNORECASE)
_BARE_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")


def render_inert(message: str) -> str:
    """Return `message` safe for the bot to post: no broadcast or user group ever notifies.

    Person mentions, channel mentions and links stay live; `<!here>`, `<!channel>`,
    `<!everyone>` (with or without a label), user groups and plain-text `@here`, `@channel`,
    `@everyone` become readable text with a word joiner after the "@" (see `_INERT_AT`). Stray
    `&`, `<`, `>` are escaped; `&amp;`, `&lt;` and `&gt;` already there are kept as they are.
    """
    out: list[str] = []
    for token in tokenize(message):
        if isinstance(token, Broadcast):
            out.append(f"{_INERT_AT}{token.kind}")
        elif isinstance(token, UserGroup):
            label = (token.label or "group").lstrip("@") or "group"
            out.append(_quiet(f"{_INERT_AT}{_text_safe(label)}"))
        elif isinstance(token, UserMention | ChannelMention | Hyperlink):
            # Their labels are display text: keep the token, only quieten a loud word in it.
            out.append(_quiet_label(token.raw) if token.label else token.raw)
        else:
            out.append(_quiet(_text_safe(token.raw)))
    return "".join(out)


def _text_safe(raw: str) -> str:
    return _BARE_AMP.sub("&amp;", raw).replace("<", "&lt;").replace(">", "&gt;")


def _quiet(text: str) -> str:
    return _LOUD_PLAIN.sub(lambda m: f"{_INERT_AT}{m.group(1).lower()}", text)


def _quiet_label(raw: str) -> str:
    # `raw` is "<head|label>"; the head (an id or a URL) never holds "|" and is left untouched.
    head, _, label = raw[1:-1].partition("|")
    return f"<{head}|{_quiet(label)}>"
