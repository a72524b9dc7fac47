"""What a use case answers a person with: the typed outcomes every front door returns.

The Bolt adapter turns each into Slack's answer for the surface it came from (a command's ack, a
form's inline errors, an ephemeral note after a click); the domain never sees Bolt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Reply:
    """What to answer the person with, ephemerally."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    # True when nothing was done: a form shows the text beside the field instead of closing.
    refused: bool = False

    def as_ack(self) -> dict[str, Any]:
        """Keyword arguments for Bolt's `ack()`."""
        return {"text": self.text, **({"blocks": self.blocks} if self.blocks else {})}


@dataclass(frozen=True)
class Refusal:
    """Nothing was done, for `reason`; `text` says why and how to fix it (beside `field`)."""

    reason: StrEnum
    text: str
    field: str | None = None


@dataclass(frozen=True)
class OpenView:
    """Open `view` as a modal; `apology` is the answer if Slack refuses (its trigger lasts 3 s)."""

    view: dict[str, Any]
    apology: str = "I couldn't open the form in time. Please try again."


@dataclass(frozen=True)
class FormErrors:
    """Keep the form open and show each message under its block (nothing typed is lost)."""

    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Done:
    """Done; nothing more to say (a submitted form closes, a click needs no note)."""


Outcome = Reply | Refusal | OpenView | FormErrors | Done
