"""Drawing the digest: Slack's limits, who gets pinged, escaping, and the plain-text dry run."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from app.console import blocks_text
from app.digest.blocks import digest_blocks
from app.digest.contents import (
    Connection,
    Digest,
    Help,
    HelperLine,
    NewOffer,
    OpenAsk,
    OpenAsks,
    Thanked,
    Totals,
    UnmetTopic,
    Unsung,
)

START = datetime(2026, 10, 26, 4, tzinfo=UTC)
END = datetime(2026, 11, 2, 5, tzinfo=UTC)
MENTION = re.compile(r"<@([UW][A-Z0-9]+)")


def _digest(**changes: Any) -> Digest:
    base = Digest(
        team_id="T1",
        week="2026-W44",
        start=START,
        end=END,
        as_of=END + timedelta(hours=9),
        helpers=(),
        top_thanked=(),
        connections=(),
        open_asks=OpenAsks((), 0, 0),
        new_offers=(),
        unmet_topics=(),
        unsung=(),
        totals=Totals(kudos=0, private_kudos=0, asks=0, asks_resolved=0, helpers=0),
    )
    return replace(base, **changes)


def _help(helper: str, other: str, n: int, *, private: bool = False) -> Help:
    quote = None if private else f"thanks for fix {n} <!channel> &amp; " + "z" * 90
    return Help(
        "kudos" if n % 2 else "ask", helper, other, f"Person {other}", quote, private, START
    )


def _huge() -> Digest:
    helpers = tuple(
        HelperLine(
            f"UH{n:04d}",
            f"Helper {n}",
            tuple(_help(f"UH{n:04d}", f"UG{n}{k}", k) for k in range(6)),
        )
        for n in range(500)
    )
    return _digest(
        helpers=helpers,
        top_thanked=tuple(Thanked(f"UH{n:04d}", f"Helper {n}", 9, 12) for n in range(10)),
        connections=tuple(Connection(f"UA{n}", f"A {n}", f"UB{n}", f"B {n}") for n in range(500)),
        open_asks=OpenAsks(
            tuple(
                OpenAsk(n, "UASK", "Asker", "q" * 110, "open", f"https://a.slack.com/{n}", START)
                for n in range(10)
            ),
            public=300,
            private=40,
        ),
        new_offers=tuple(NewOffer(f"UO{n}", f"Offerer {n}", ("a", "b")) for n in range(100)),
        unmet_topics=tuple(UnmetTopic(f"topic-{n}", 3) for n in range(10)),
        unsung=tuple(Unsung(f"UU{n}", f"Unsung {n}", 2) for n in range(100)),
        totals=Totals(kudos=3000, private_kudos=10, asks=800, asks_resolved=700, helpers=500),
    )


def _section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] in ("section", "header")]


def test_a_huge_week_stays_inside_slacks_limits() -> None:
    text, blocks = digest_blocks(_huge())
    assert len(blocks) <= 50
    assert blocks[0]["type"] == "header"
    assert len(blocks[0]["text"]["text"]) <= 150
    assert all(len(t) <= 3000 for t in _section_texts(blocks))
    assert all(
        len(e["text"]) <= 3000 for b in blocks if b["type"] == "context" for e in b["elements"]
    )
    shown = blocks_text(blocks)
    assert "…and 480 more people helped." in shown
    assert "…and 490 more pairs." in shown
    assert "…and 290 more public asks." in shown
    assert "…and 40 asks in private conversations." in shown
    assert "…and 90 more people offered." in shown
    assert "and 3 more" in shown  # each helper shows 3 of their 6 items
    assert len(text) < 200


def test_only_the_celebrated_helpers_are_pinged_and_at_most_max_people() -> None:
    _, blocks = digest_blocks(_huge(), max_people=20)
    pinged = set(MENTION.findall(json.dumps(blocks)))
    assert pinged == {f"UH{n:04d}" for n in range(20)}
    # The most-thanked list names people, as /kudos top does: no mention there.
    top = next(t for t in _section_texts(blocks) if t.startswith("*:star2: Most thanked"))
    assert "<@" not in top
    assert "1. Helper 0: thanked by 9 people (12 kudos)" in top


def test_user_text_is_escaped_and_broadcasts_are_inert() -> None:
    hostile = _digest(
        helpers=(
            HelperLine(
                "UBEN",
                "Ben",
                (
                    Help(
                        "kudos",
                        "UBEN",
                        "UANA",
                        "<!here> Ana & <b>",
                        "pinged <!channel> @everyone",
                        False,
                        START,
                    ),
                ),
            ),
        ),
        top_thanked=(Thanked("UBEN", "@channel <Ben>", 1, 1),),
        unmet_topics=(UnmetTopic("c&c", 1),),
        totals=Totals(kudos=1, private_kudos=0, asks=0, asks_resolved=0, helpers=1),
    )
    _, blocks = digest_blocks(hostile)
    raw = json.dumps(blocks, ensure_ascii=False)
    for loud in ("<!here>", "<!channel>", "@everyone", "@channel", "<b>", "<Ben>"):
        assert loud not in raw
    assert "&lt;!here&gt; Ana &amp; &lt;b&gt;" in raw
    assert "`c&amp;c`" in raw
    assert "@\u2060everyone" in raw


def test_a_quiet_week_is_a_short_encouraging_note() -> None:
    text, blocks = digest_blocks(_digest())
    assert text == "Week 2026-W44: a quiet week."
    assert [b["type"] for b in blocks] == ["header", "section"]
    assert "/kudos @teammate" in blocks[1]["text"]["text"]


def test_an_ordinary_week_reads_well_as_plain_text() -> None:
    digest = _digest(
        helpers=(
            HelperLine(
                "UBEN",
                "Ben",
                (
                    Help(
                        "ask",
                        "UBEN",
                        "UANA",
                        "Ana",
                        "How do I <https://x.io|rotate> keys?",
                        False,
                        START,
                    ),
                    Help("kudos", "UBEN", "UCAT", "Cat", None, True, START),
                ),
            ),
        ),
        connections=(Connection("UANA", "Ana", "UBEN", "Ben"),),
        open_asks=OpenAsks(
            (OpenAsk(7, "UANA", "Ana", "Need a hand", "open", "https://l/7", START),), 1, 0
        ),
        unsung=(Unsung("UDAN", "Dan", 2),),
        totals=Totals(kudos=1, private_kudos=1, asks=1, asks_resolved=1, helpers=1),
        as_of=START + timedelta(days=2),
    )
    _, blocks = digest_blocks(digest)
    shown = blocks_text(blocks)
    assert "Who helped whom, week 2026-W44" in shown
    assert "1 kudo (1 in private conversations)" in shown
    assert "the week so far" in shown
    assert (
        "• @UBEN helped Ana with “How do I rotate (https://x.io) keys?”; "
        "was thanked by Cat (in a private conversation)" in shown
    )
    assert "• Ana and Ben" in shown
    assert "• “Need a hand” (https://l/7) by Ana" in shown
    assert "• Dan: 2 asks" in shown
    assert "<" not in shown


def test_what_a_composed_digest_left_unlisted_is_counted_in_its_more_lines() -> None:
    # Compose holds the first helpers, acts and pairs and counts the rest: blocks adds them in.
    line = HelperLine("UBEN", "Ben", (_help("UBEN", "UANA", 1),), unlisted=4)
    digest = _digest(
        helpers=(line,),
        unlisted_helpers=7,
        connections=(
            Connection("UANA", "Ana", "UBEN", "Ben", True),
            Connection("UCAT", "Cat", "UDAN", "Dan"),
        ),
        unlisted_pairs=5,
        unlisted_introduced=2,
        totals=Totals(kudos=9, private_kudos=0, asks=0, asks_resolved=0, helpers=8),
    )
    assert digest.helper_count == 8
    assert digest.connection_count == 7
    shown = blocks_text(digest_blocks(digest, max_people=1)[1])
    assert "; and 2 more" in shown  # 1 of 5 acts held, 3 shown at most
    assert "…and 7 more people helped." in shown
    assert "(4 pairs connected for the first time, 3 introduced)" in shown
    assert "…and 6 more pairs." in shown
