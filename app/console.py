"""Slack messages as a terminal shows them: mrkdwn and Block Kit to plain text.

One renderer for every place the bot's messages are printed instead of posted (`reciprocity
demo`, `reciprocity digest --dry-run`). People and channels are named from a `names` mapping
(id → name) the caller fills from its directory; an id with no name stays an id. Bold, italic
and strike-through become ANSI styles when `ansi` is set (the caller's stream is a terminal);
otherwise bold and italic lose their markers, strike-through keeps its `~`, and `code` keeps its
backticks, since that is how a reader tells what to type. Emoji codes stay as they are. Pure
functions: nothing here does I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

NO_NAMES: Mapping[str, str] = {}
# Em dashes, so that a divider is a rule on screen and still contains "———" for anyone who
# splits the older dry-run output on it.
RULE = "—" * 24
QUOTE_BAR = "│ "

_ENTITY = re.compile(r"&(amp|lt|gt);")
_UNESCAPE = {"amp": "&", "lt": "<", "gt": ">"}
# What formatting must not touch: code (kept verbatim), Slack's <…> tokens (links, mentions) and
# bare URLs, whose underscores and tildes are not markup.
_HELD = re.compile(r"```.*?```|`[^`\n]+`|<[^<>\n]*>|https?://[^\s<>]+", re.DOTALL)
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_QUOTE = re.compile(r"^(?:>|&gt;) ?", re.MULTILINE)
# Slack formats `*x*` only at word edges: "2*3*4" and "snake_case_name" stay as typed.
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])")
_BROADCASTS = ("here", "channel", "everyone")
# Inert broadcasts carry a word joiner after "@" (app/slackapi/mrkdwn.py); a terminal needs none.
_WORD_JOINER = "\u2060"
_USER_ID = re.compile(r"<@([UW][A-Z0-9]+)")


def unescape(text: str) -> str:
    """Turn `&amp;`, `&lt;` and `&gt;` back into `&`, `<` and `>`, in one pass."""
    return _ENTITY.sub(lambda m: _UNESCAPE[m.group(1)], text)


def mrkdwn_text(text: str, names: Mapping[str, str] = NO_NAMES, *, ansi: bool = False) -> str:
    """Return Slack mrkdwn as the plain text a reader sees: names for ids, links spelt out."""
    held: list[str] = []

    def hold(match: re.Match[str]) -> str:
        piece = match.group(0)
        if piece.startswith("<"):
            line_start = text.rfind("\n", 0, match.start()) + 1
            before = _HELD.sub("", text[line_start : match.start()])
            in_brackets = before.count("(") > before.count(")")
            piece = token_text(piece[1:-1], names, in_brackets=in_brackets)
        else:
            piece = unescape(piece)
        held.append(piece)
        return f"\ue000{len(held) - 1}\ue001"

    out = _HELD.sub(hold, text)
    out = _QUOTE.sub(QUOTE_BAR, out)
    out = _BOLD.sub(_style(ansi, "\x1b[1m", "\x1b[22m", "{}"), out)
    out = _ITALIC.sub(_style(ansi, "\x1b[3m", "\x1b[23m", "{}"), out)
    out = _STRIKE.sub(_style(ansi, "\x1b[9m", "\x1b[29m", "~{}~"), out)
    out = _PLACEHOLDER.sub(lambda m: held[int(m.group(1))], unescape(out))
    return out.replace(_WORD_JOINER, "")


def _style(ansi: bool, on: str, off: str, plain: str) -> Callable[[re.Match[str]], str]:
    """A substitution that wraps a marked span in ANSI codes, or writes it as `plain` says."""
    return lambda m: f"{on}{m.group(1)}{off}" if ansi else plain.format(m.group(1))


def token_text(
    token: str, names: Mapping[str, str] = NO_NAMES, *, in_brackets: bool = False
) -> str:
    """Return one `<…>` token (without its brackets) as text: `@name`, `#channel`, a link.

    A link reads "label (url)", or "label: url" when it already sits inside brackets, so long
    URLs never end in "))".
    """
    target, _, label = token.partition("|")
    label = unescape(label).strip()
    if target.startswith("@"):
        return "@" + (names.get(target[1:]) or label.lstrip("@") or target[1:])
    if target.startswith("#"):
        return "#" + (names.get(target[1:]) or label.lstrip("#") or target[1:])
    if target.startswith("!"):
        word = target[1:]
        if word in _BROADCASTS:
            return "@" + word
        if word.startswith("subteam^"):
            return "@" + (label.lstrip("@") or word.removeprefix("subteam^"))
        return label or word
    url = unescape(target)
    shown = url.removeprefix("mailto:").removeprefix("tel:")
    if not label or label in (url, shown, url.split("://", 1)[-1]):
        return shown
    return f"{label}: {url}" if in_brackets else f"{label} ({url})"


def text_object(obj: object, names: Mapping[str, str] = NO_NAMES, *, ansi: bool = False) -> str:
    """Return a Block Kit text object (`plain_text` as written, `mrkdwn` rendered) as text."""
    if not isinstance(obj, Mapping):
        return ""
    text = str(obj.get("text", ""))
    return mrkdwn_text(text, names, ansi=ansi) if obj.get("type") == "mrkdwn" else text


def element_text(element: object, names: Mapping[str, str] = NO_NAMES) -> str:
    """Return an interactive element as a label: a button `[Send]`, a menu `[Pick one ▾]`."""
    if not isinstance(element, Mapping):
        return ""
    kind = str(element.get("type", ""))
    if kind == "button":
        return f"[{text_object(element.get('text'))}]"
    if kind == "overflow":
        return "[…]"
    placeholder = text_object(element.get("placeholder"))
    if kind == "plain_text_input":
        given = str(element.get("initial_value") or "")
        return f"[{given or placeholder or '…'}]"
    if kind.startswith("multi_") or kind.endswith("_select"):
        chosen = [
            "@" + names.get(u, u)
            for u in element.get("initial_users") or [element.get("initial_user")]
            if u
        ]
        options = [
            text_object(o.get("text"))
            for o in element.get("options") or []
            if isinstance(o, Mapping)
        ]
        shown = ", ".join(chosen) or placeholder or ", ".join(options[:5]) or "choose"
        return f"[{shown} ▾]"
    if kind in ("checkboxes", "radio_buttons"):
        options = [
            text_object(o.get("text"))
            for o in element.get("options") or []
            if isinstance(o, Mapping)
        ]
        return "  ".join(f"( ) {label}" for label in options)
    if kind in ("datepicker", "timepicker", "datetimepicker"):
        return (
            f"[{element.get('initial_date') or element.get('initial_time') or placeholder or kind}]"
        )
    return ""


def block_lines(
    block: Mapping[str, Any], names: Mapping[str, str] = NO_NAMES, *, ansi: bool = False
) -> list[str]:
    """Return one block as lines of text; kinds a terminal cannot show give no lines."""
    kind = block.get("type")
    if kind == "divider":
        return [RULE]
    if kind == "header":
        title = text_object(block.get("text"))
        return [f"\x1b[1m{title}\x1b[22m" if ansi else title]
    if kind == "section":
        lines = text_object(block.get("text"), names, ansi=ansi).splitlines()
        lines += [text_object(f, names, ansi=ansi) for f in block.get("fields") or []]
        accessory = element_text(block.get("accessory"), names)
        if accessory:
            lines = [f"{lines[0]}  {accessory}", *lines[1:]] if lines else [accessory]
        return lines
    if kind == "context":
        parts = [text_object(e, names, ansi=ansi) for e in block.get("elements") or []]
        return "  ".join(p for p in parts if p).splitlines()
    if kind == "actions":
        labels = [element_text(e, names) for e in block.get("elements") or []]
        return ["  ".join(label for label in labels if label)]
    if kind == "input":
        label = text_object(block.get("label"))
        # "What do you need?" needs no colon after it; "Thank" does.
        colon = "" if label.endswith(("?", ":")) else ":"
        label += " (optional)" if block.get("optional") else ""
        return [f"{label}{colon} {element_text(block.get('element'), names)}"]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    return []


def blocks_text(
    blocks: Sequence[Mapping[str, Any]], names: Mapping[str, str] = NO_NAMES, *, ansi: bool = False
) -> str:
    """Return Block Kit blocks as text, one block after another."""
    lines: list[str] = []
    for block in blocks:
        lines.extend(line for line in block_lines(block, names, ansi=ansi) if line)
    return "\n".join(lines)


def message_text(
    message: Mapping[str, Any], names: Mapping[str, str] = NO_NAMES, *, ansi: bool = False
) -> str:
    """Return a message (`text`, and `blocks` as a list or JSON) as Slack shows it: its blocks
    when it has any, else its text."""
    blocks = message.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if blocks:
        return blocks_text(blocks, names, ansi=ansi)
    return mrkdwn_text(str(message.get("text") or ""), names, ansi=ansi)


def view_text(
    view: Mapping[str, Any], names: Mapping[str, str] = NO_NAMES, *, ansi: bool = False
) -> str:
    """Return a modal (title, fields, buttons) or a Home tab as text."""
    lines = []
    title = text_object(view.get("title"))
    if title:
        lines.append(f"\x1b[1m{title}\x1b[22m" if ansi else title)
    body = blocks_text(view.get("blocks") or [], names, ansi=ansi)
    if body:
        lines.append(body)
    buttons = [f"[{text_object(view.get(key))}]" for key in ("submit", "close") if view.get(key)]
    if buttons:
        lines.append("  ".join(buttons))
    return "\n".join(lines)


def mentioned_users(value: object) -> list[str]:
    """Return the user ids mentioned (`<@U…>`) anywhere in a message, its blocks or a view,
    once each, in order: the ids a caller needs names for."""
    found: dict[str, None] = {}
    if isinstance(value, str):
        found.update(dict.fromkeys(_USER_ID.findall(value)))
    elif isinstance(value, Mapping):
        for item in value.values():
            found.update(dict.fromkeys(mentioned_users(item)))
    elif isinstance(value, Sequence):
        for item in value:
            found.update(dict.fromkeys(mentioned_users(item)))
    return list(found)
