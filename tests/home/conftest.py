"""Home tab tests use the slash-command fixtures of the kudos and ask tests."""

from __future__ import annotations

from tests.asks.conftest import ask_cmd
from tests.kudos.conftest import kudos_cmd

__all__ = ["ask_cmd", "kudos_cmd"]
