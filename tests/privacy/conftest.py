"""Privacy tests drive the bot with the ask tests' slash-command fixture."""

from __future__ import annotations

from tests.asks.conftest import ask_cmd

__all__ = ["ask_cmd"]
