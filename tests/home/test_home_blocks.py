"""The Home tab's Block Kit, rendered from plain content."""

from __future__ import annotations

import json

from app.home.blocks import home_view
from app.home.content import AskLine, HomeContent


def test_an_ask_linked_from_home_is_escaped_once() -> None:
    ask = AskLine(7, "U0ALICE", "Why is a < b & c true?", "open", "C0GENERAL", "1700000000.000100")
    view = home_view(HomeContent("U0ALICE", "acme", [ask], [], [], []))
    text = json.dumps(view)
    assert "|Why is a &lt; b &amp; c true?>" in text
    assert "&amp;lt;" not in text
    assert "&amp;amp;" not in text
