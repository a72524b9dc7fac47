"""Block Kit's common blocks and elements as the plain dicts Slack's API takes.

Plain dicts rather than `slack_sdk.models.blocks`: these are built on the ack path, where the
models' validation costs a hundred times more than the dict, and the models add fields
(`"emoji": true`) that change what is sent; tests check the limits instead (see
tests/kudos/test_kudos_blocks.py).
"""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]


def plain(text: str) -> dict[str, str]:
    """A plain-text object."""
    return {"type": "plain_text", "text": text}


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> Block:
    """A section block showing `text` as mrkdwn."""
    return {"type": "section", "text": _mrkdwn(text)}


def context(text: str) -> Block:
    """A context block: one line of small mrkdwn text."""
    return {"type": "context", "elements": [_mrkdwn(text)]}


def header(text: str) -> Block:
    """A header block (plain text)."""
    return {"type": "header", "text": plain(text)}


def divider() -> Block:
    """A divider block."""
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    """A button labelled `text` that sends `action_id` with `value`; `style` is "primary" or
    "danger"."""
    element: Block = {"type": "button", "action_id": action_id, "text": plain(text), "value": value}
    if style:
        element["style"] = style
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    """An actions block holding `elements` (buttons), under `block_id` if given."""
    block: Block = {"type": "actions"}
    if block_id:
        block["block_id"] = block_id
    block["elements"] = list(elements)
    return block
