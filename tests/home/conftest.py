"""Home tab tests use the slash-command fixtures of the kudos, ask and intro tests, and a bot whose
start-up directory sync is done."""

from __future__ import annotations

import pytest

from app.server import BotServer
from tests.asks.conftest import ask_cmd
from tests.intros.conftest import intro_cmd
from tests.kudos.conftest import kudos_cmd

__all__ = ["ask_cmd", "intro_cmd", "kudos_cmd"]


@pytest.fixture
def bot(bot: BotServer) -> BotServer:
    """The bot once its start-up directory sync has stored everyone.

    A Home tab opened before the sync stored its owner is not remembered as opened, so it is
    never refreshed; on a busy machine the sync can lag the first event. These tests are about
    what follows an open, so they start after the sync.
    """
    assert bot.directory.join(timeout=30), "the start-up directory sync did not finish"
    return bot
