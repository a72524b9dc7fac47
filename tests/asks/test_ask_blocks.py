"""The ask's own message stays within Slack's limits, whatever the ask says."""

from __future__ import annotations

from datetime import UTC, datetime

from app.asks.blocks import SECTION_LIMIT, ask_message
from app.asks.lifecycle import MAX_ASK
from app.store.models import Ask

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)


def _ask(text: str) -> Ask:
    return Ask(
        id=7,
        team_id="T1",
        asker_id="U0ALICE",
        text=text,
        topics=[],
        origin_channel_id="C1",
        status="open",
        created_at=NOW,
        updated_at=NOW,
        nudge_round=0,
    )


def test_the_longest_ask_fits_in_one_section_with_its_heading() -> None:
    section = ask_message(_ask("x" * MAX_ASK))["blocks"][0]["text"]["text"]
    assert len(section) == SECTION_LIMIT
    assert section.startswith(":question: <@U0ALICE> asks:\n")
    assert section.endswith("x…")


def test_a_short_ask_is_posted_whole() -> None:
    section = ask_message(_ask("Where are the deploy logs?"))["blocks"][0]["text"]["text"]
    assert section == ":question: <@U0ALICE> asks:\nWhere are the deploy logs?"
