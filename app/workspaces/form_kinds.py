"""The kinds of input a settings form is made of: how each draws its Block Kit element from a
stored value, and reads a submitted state back into a value to store (or says what is wrong).

Pure Block Kit in and out. Every element has the action id `ACTION`; its block id names it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from app.slackapi.blockkit import plain

# Every input's element has this action id; the block id says which setting it is.
ACTION = "value"
# A public (C…) or private (C… or G…) channel id, as a conversations_select returns them.
_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,31}")

Element = dict[str, Any]
# One element's submitted state: view.state.values[block_id][ACTION].
State = Mapping[str, Any]


class Invalid(ValueError):
    """A submitted value cannot be stored; the message says how to fix it, beside its field."""


class Kind(Protocol):
    """How one kind of input draws itself and reads what was submitted."""

    @property
    def optional(self) -> bool:
        """Whether Slack lets the form be submitted with this input empty."""
        ...

    def element(self, stored: Any) -> Element:
        """The element (without its action id) showing `stored`, the value stored now."""
        ...

    def read(self, state: State) -> Any:
        """The value to store from a submitted `state`; raises `Invalid` when there is none."""
        ...


def _options(options: Collection[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"text": plain(text), "value": value} for value, text in options]


def _as_text(stored: Any) -> str:
    return str(stored or "")


def typed(state: State) -> str:
    """The trimmed text typed into a text or number input; "" if none."""
    value = state.get("value")
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class Number:
    """A whole number from `low` to `high` inclusive, counted in `unit`: the form's bounds and
    the check on submission are one pair, so they cannot disagree."""

    low: int
    high: int
    unit: str
    optional: bool = False

    def element(self, stored: Any) -> Element:
        """A number_input; an odd stored value is shown clamped (Slack refuses a view whose
        initial value lies outside min/max) rather than breaking the form."""
        current = min(max(int(stored), self.low), self.high)
        return {
            "type": "number_input",
            "is_decimal_allowed": False,
            "min_value": str(self.low),
            "max_value": str(self.high),
            "initial_value": str(current),
        }

    def read(self, state: State) -> int:
        """The number typed, if whole and within bounds."""
        text = typed(state)
        wanted = f"enter a whole number of {self.unit} from {self.low} to {self.high}."
        if not re.fullmatch(r"-?[0-9]{1,18}", text):
            if not text:
                raise Invalid(wanted.capitalize())
            raise Invalid(f"“{text[:20]}” is not a whole number: {wanted}")
        number = int(text)
        if not self.low <= number <= self.high:
            raise Invalid(f"{number} is out of range: {wanted}")
        return number


@dataclass(frozen=True)
class Choice:
    """One of `options` (value, text) in a static_select; `parse` turns the value into what is
    stored (`int` for hours and days)."""

    options: tuple[tuple[str, str], ...]
    parse: Callable[[str], Any] = str
    optional: bool = False

    def element(self, stored: Any) -> Element:
        """A static_select with the stored value chosen (unset if it is not an option)."""
        drawn = _options(self.options)
        element: Element = {"type": "static_select", "options": drawn}
        # initial_option must be one of the options exactly.
        chosen = [option for option in drawn if option["value"] == str(stored)]
        if chosen:
            element["initial_option"] = chosen[0]
        return element

    def read(self, state: State) -> Any:
        """The chosen option's value, if it is one of the options."""
        selected = state.get("selected_option")
        value = selected.get("value") if isinstance(selected, Mapping) else None
        if value not in [value for value, _ in self.options]:
            raise Invalid("Pick one of the choices in the list.")
        return self.parse(str(value))


def _checkboxes(options: Collection[tuple[str, str]], checked: Collection[str]) -> Element:
    drawn = _options(options)
    element: Element = {"type": "checkboxes", "options": drawn}
    initial = [option for option in drawn if option["value"] in checked]
    # Slack rejects an empty initial_options: nothing ticked means leaving the field out.
    if initial:
        element["initial_options"] = initial
    return element


def _ticked(state: State) -> list[str]:
    selected = state.get("selected_options")
    if not isinstance(selected, list):
        return []
    return [str(o.get("value")) for o in selected if isinstance(o, Mapping)]


@dataclass(frozen=True)
class Ticks:
    """Several of `options` (value, text) as checkboxes; `parse` turns the ticked values into
    what is stored (or raises `Invalid`), `show` the stored value into the values to tick."""

    options: tuple[tuple[str, str], ...]
    parse: Callable[[list[str]], Any]
    show: Callable[[Any], Collection[str]]
    # Optional so that unticking everything is a submission answered with our own message.
    optional: bool = True

    def element(self, stored: Any) -> Element:
        """Checkboxes with the stored values ticked."""
        return _checkboxes(self.options, self.show(stored))

    def read(self, state: State) -> Any:
        """The ticked values, parsed."""
        return self.parse(_ticked(state))


@dataclass(frozen=True)
class Flag:
    """On or off: one checkbox saying `text`."""

    text: str
    optional: bool = True

    def element(self, stored: Any) -> Element:
        """One checkbox, ticked when the setting is on."""
        return _checkboxes([("on", self.text)], {"on"} if stored else ())

    def read(self, state: State) -> bool:
        """Whether the box was ticked."""
        return "on" in _ticked(state)


@dataclass(frozen=True)
class Channel:
    """A public or private channel, or none (the field cleared)."""

    optional: bool = True

    def element(self, stored: Any) -> Element:
        """A conversations_select over public and private channels."""
        element: Element = {
            "type": "conversations_select",
            "placeholder": plain("Pick a channel"),
            "filter": {"include": ["public", "private"]},
        }
        if stored:
            element["initial_conversation"] = stored
        return element

    def read(self, state: State) -> str | None:
        """The channel id chosen, or None; anything but a channel id is refused."""
        # conversations_select answers selected_conversation; a channels_select, selected_channel.
        chosen = state.get("selected_conversation") or state.get("selected_channel")
        if chosen is None or chosen == "":
            return None
        if not isinstance(chosen, str) or not _CHANNEL.fullmatch(chosen):
            raise Invalid("Pick a channel from the list, or clear the field.")
        return chosen


@dataclass(frozen=True)
class Text:
    """Text up to `max_length` characters: `parse` turns what was typed (trimmed) into what is
    stored (or raises `Invalid`), `show` the stored value into the text to prefill."""

    max_length: int
    parse: Callable[[str], Any]
    show: Callable[[Any], str] = _as_text
    optional: bool = False

    def element(self, stored: Any) -> Element:
        """A plain_text_input prefilled with the stored value."""
        element: Element = {"type": "plain_text_input", "max_length": self.max_length}
        current = self.show(stored)
        if current:
            element["initial_value"] = current
        return element

    def read(self, state: State) -> Any:
        """What was typed, parsed."""
        return self.parse(typed(state))
