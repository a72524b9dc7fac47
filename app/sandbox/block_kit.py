"""Block Kit as Slack's schema checks it: block counts, section text lengths, view shapes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.sandbox.workspace import SlackError

MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
MAX_SECTION_TEXT = 3_000
MAX_TITLE = 24


def check_blocks(blocks: Any, max_blocks: int) -> None:
    """Raise `invalid_blocks` unless `blocks` is a list Slack accepts in a message."""
    if not isinstance(blocks, list) or len(blocks) > max_blocks:
        raise SlackError("invalid_blocks")
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise SlackError("invalid_blocks")
        for text in _section_texts(block):
            if len(text) > MAX_SECTION_TEXT:
                raise SlackError("invalid_blocks")


def _section_texts(block: dict[str, Any]) -> Iterator[str]:
    if block.get("type") != "section":
        return
    text = block.get("text")
    if isinstance(text, dict):
        yield str(text.get("text", ""))
    for item in block.get("fields") or []:
        if isinstance(item, dict):
            yield str(item.get("text", ""))


def check_view(view: Any, kind: str) -> dict[str, Any]:
    """Return `view` if Slack accepts it as a `kind` view ("modal" or "home"), else raise."""
    if not isinstance(view, dict) or view.get("type") != kind:
        raise SlackError("invalid_arguments")
    blocks = view.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS_VIEW:
        raise SlackError("invalid_arguments")
    title = view.get("title", {})
    if (
        kind == "modal"
        and len(str(title.get("text", "") if isinstance(title, dict) else "")) > MAX_TITLE
    ):
        raise SlackError("invalid_arguments")
    ids = [b["block_id"] for b in blocks if isinstance(b, dict) and "block_id" in b]
    if len(ids) != len(set(ids)):
        raise SlackError("invalid_arguments")
    for block in blocks:
        if not isinstance(block, dict):
            raise SlackError("invalid_arguments")
        if block.get("type") == "input" and not (block.get("label") and block.get("element")):
            raise SlackError("invalid_arguments")
        for element in _block_elements(block):
            if not _element_ok(element):
                raise SlackError("invalid_arguments")
    return view


_CONVERSATION_KINDS = {"im", "mpim", "private", "public"}


def _block_elements(block: dict[str, Any]) -> list[Any]:
    if block.get("type") == "input":
        return [block.get("element")]
    if block.get("type") == "section" and "accessory" in block:
        return [block["accessory"]]
    if block.get("type") == "actions":
        return list(block.get("elements") or [])
    return []


def _element_ok(element: Any) -> bool:
    """Whether Slack's schema accepts the element's options, initial values and bounds."""
    if not isinstance(element, dict):
        return False
    kind = element.get("type")
    options = element.get("options")
    if kind == "static_select" and "option_groups" not in element:
        chosen = element.get("initial_option")
        # The reference: initial options must exactly match options in `options`.
        return (
            isinstance(options, list)
            and 0 < len(options) <= 100
            and (chosen is None or chosen in options)
        )
    if kind == "checkboxes":
        initial = element.get("initial_options")
        return (
            isinstance(options, list)
            and 0 < len(options) <= 10
            and (initial is None or (bool(initial) and all(o in options for o in initial)))
        )
    if kind == "number_input":
        return _number_input_ok(element)
    if kind == "button":
        return _button_ok(element)
    if kind == "conversations_select" and "filter" in element:
        include = element["filter"].get("include") if isinstance(element["filter"], dict) else []
        # The reference: an array of im, mpim, private, public that cannot be empty.
        return include is None or (
            isinstance(include, list) and bool(include) and set(include) <= _CONVERSATION_KINDS
        )
    return True


# The button element's limits (https://api.slack.com/reference/block-kit/block-elements#button).
_BUTTON_LIMITS = {"action_id": 255, "url": 3000, "value": 2000}
MAX_BUTTON_TEXT = 75


def _button_ok(element: dict[str, Any]) -> bool:
    """Whether a button's text, action id, url and value fit Slack's limits; a url is absolute."""
    text = element.get("text")
    if not isinstance(text, dict) or not 0 < len(str(text.get("text", ""))) <= MAX_BUTTON_TEXT:
        return False
    for key, limit in _BUTTON_LIMITS.items():
        if key in element and not 0 < len(str(element[key])) <= limit:
            return False
    url = element.get("url")
    return url is None or str(url).startswith(("https://", "http://"))


def _number_input_ok(element: dict[str, Any]) -> bool:
    if not isinstance(element.get("is_decimal_allowed"), bool):
        return False
    values = [element.get(key) for key in ("min_value", "initial_value", "max_value")]
    # The reference types these as strings: JSON numbers fail Slack's schema.
    if any(value is not None and not isinstance(value, str) for value in values):
        return False
    low, high = element.get("min_value"), element.get("max_value")
    try:
        return low is None or high is None or float(low) <= float(high)
    except ValueError:
        return False
