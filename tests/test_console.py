"""The console renderer: the bot's real messages as a terminal shows them (demo, digest dry-run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.asks.blocks import ask_message, compose_modal, match_dm
from app.asks.matching import Candidate
from app.console import (
    RULE,
    blocks_text,
    mentioned_users,
    message_text,
    mrkdwn_text,
    view_text,
)
from app.digest.blocks import digest_blocks
from app.digest.contents import (
    Digest,
    Help,
    HelperLine,
    NewOffer,
    OpenAsk,
    OpenAsks,
    Thanked,
    Totals,
)
from app.home.blocks import home_view
from app.home.content import AskLine, HomeContent, KudosLine, OfferLine
from app.kudos.blocks import modal, recipient_note, recognition_post
from app.nudges.blocks import follow_up, last_round
from app.store.models import Ask, AskHelper

NAMES = {"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol", "C0GENERAL": "general"}
NOW = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
LINK = "https://demo.slack.com/archives/C0GENERAL/p1796411497477750"


# -- mrkdwn ---------------------------------------------------------------------------------------


def test_people_channels_and_broadcasts_read_as_names() -> None:
    text = "<@U0BOB> and <@U0CAROL|old-name> and <@U0NOBODY|ghost> and <@W0GRID> in <#C0GENERAL>"
    assert mrkdwn_text(text, NAMES) == "@bob and @carol and @ghost and @W0GRID in #general"
    assert mrkdwn_text("<#C0OTHER|random> <!here> <!channel> <!subteam^S1|@ops>") == (
        "#random @here @channel @ops"
    )


def test_links_read_as_label_then_url_without_nesting() -> None:
    assert mrkdwn_text("see <https://x.io/a|the runbook>.") == "see the runbook (https://x.io/a)."
    assert mrkdwn_text("<https://x.io/a>") == "https://x.io/a"
    assert mrkdwn_text("<https://x.io/a| >, <https://x.io/b|x.io/b>") == (
        "https://x.io/a, https://x.io/b"
    )
    assert mrkdwn_text("<mailto:a@x.io|a@x.io>") == "a@x.io"
    # Already inside brackets: no "(…(url))".
    assert mrkdwn_text(f"thanked you (<{LINK}|see the post>).") == (
        f"thanked you (see the post: {LINK})."
    )


def test_formatting_markers_go_and_ansi_shows_them_only_on_a_terminal() -> None:
    text = "*Bold* and _italic_ and ~gone~ and `code *not* bold` and snake_case_name 2*3*4"
    assert mrkdwn_text(text) == (
        "Bold and italic and ~gone~ and `code *not* bold` and snake_case_name 2*3*4"
    )
    assert mrkdwn_text("*Bold* _it_ ~gone~", ansi=True) == (
        "\x1b[1mBold\x1b[22m \x1b[3mit\x1b[23m \x1b[9mgone\x1b[29m"
    )


def test_escapes_emoji_and_urls_stay_as_typed() -> None:
    text = ":tada: 1 &lt; 2 &amp;&amp; b &gt; a https://x.io/a_b_c_ `&lt;tag&gt;`"
    assert mrkdwn_text(text) == ":tada: 1 < 2 && b > a https://x.io/a_b_c_ `<tag>`"
    # An escaped "<@U0BOB>" someone typed is text, not a mention.
    assert mrkdwn_text("&lt;@U0BOB&gt;", NAMES) == "<@U0BOB>"


def test_quotes_get_a_bar() -> None:
    assert mrkdwn_text(">first\n&gt; second\nnot &gt; this") == "│ first\n│ second\nnot > this"


# -- the bot's messages --------------------------------------------------------------------------


def test_a_recognition_post() -> None:
    message = "thanks for the <https://x.io/runbook|runbook> &amp; <!here> *fix*"
    post = recognition_post("U0BOB", ["U0CAROL", "U0ALICE"], message, ["teamwork"], 12)
    assert message_text(post, NAMES) == (
        ":tada: @bob gave kudos to @carol and @alice\n"
        "│ thanks for the runbook (https://x.io/runbook) & @here fix\n"
        "`#teamwork` · Kudos #12"
    )
    note = recipient_note("U0BOB", "thanks!", "command", LINK)
    assert message_text(note, NAMES) == (
        f":sparkles: @bob thanked you (see the post: {LINK}).\n│ thanks!"
    )


def _ask(status: str = "open") -> Ask:
    return Ask(
        id=7,
        team_id="T0DEMO",
        asker_id="U0ALICE",
        text="How do I rotate the *staging* password? &lt;step 3&gt; fails",
        topics=["postgresql"],
        status=status,
    )


def test_an_ask_as_it_goes_from_open_to_resolved() -> None:
    assert message_text(ask_message(_ask()), NAMES) == (
        ":question: @alice asks:\n"
        "How do I rotate the staging password? <step 3> fails\n"
        ":wave: Open: can you help?  ·  `#postgresql`\n"
        "[I can help]  [Resolved]  [Close]"
    )
    ask = _ask("resolved")
    ask.helpers = [
        AskHelper(helper_id=u, team_id="T0DEMO", asker_id="U0ALICE", credited_at=NOW)
        for u in ("U0BOB", "U0CAROL")
    ]
    assert message_text(ask_message(ask), NAMES).splitlines()[2] == (
        ":white_check_mark: Resolved with help from @bob, @carol  ·  `#postgresql`"
    )


def test_a_match_dm() -> None:
    dm = match_dm(_ask(), Candidate("U0CAROL", 1.0, ("postgresql",)), LINK, private=False)
    assert message_text(dm, NAMES) == (
        f":wave: @alice asked about `postgresql`, which you offered (see the ask: {LINK}):\n"
        "│ How do I rotate the staging password? <step 3> fails\n"
        "[I can help]  [Stop these]"
    )


def test_nudge_dms() -> None:
    assert message_text(last_round(7, "Where is the *vault*?\nmore"), NAMES) == (
        "Nobody has answered your ask yet:\n"
        "│ Where is the vault?\n"
        "Do you still need it? If not, resolve or close it so people see what's still open.\n"
        "[Keep it open]  [Remind me tomorrow]  [Resolved]  [Close it]"
    )
    assert message_text(follow_up(7, "Where?", ["U0BOB", "U0CAROL"]), NAMES) == (
        "@bob, @carol answered your ask:\n│ Where?\nDid that sort it out?\n"
        "[Resolved, thank them]  [Still need help]"
    )


def _digest() -> Digest:
    start = datetime(2026, 11, 23, 5, tzinfo=UTC)
    return Digest(
        team_id="T0DEMO",
        week="2026-W48",
        start=start,
        end=start + timedelta(days=7),
        as_of=start + timedelta(days=7, hours=9),
        helpers=(
            HelperLine(
                "U0CAROL",
                "Carol",
                (
                    Help("ask", "U0CAROL", "U0ALICE", "Alice", "rotate &lt;it&gt;", False, start),
                    Help("kudos", "U0CAROL", "U0BOB", "Bob", "pairing", False, start),
                ),
            ),
        ),
        top_thanked=(Thanked("U0CAROL", "Carol", 1, 3), Thanked("U0BOB", "Bob", 1, 1)),
        connections=(),
        open_asks=OpenAsks(
            (OpenAsk(9, "U0DAVE", "Dave", "Need a hand", "open", "https://l/9", start),), 1, 0
        ),
        new_offers=(NewOffer("U0DAVE", "Dave", ("postgresql",)),),
        unmet_topics=(),
        unsung=(),
        totals=Totals(kudos=1, private_kudos=0, asks=1, asks_resolved=1, helpers=1),
    )


def test_the_digest_dry_run_names_people_and_counts_in_good_english() -> None:
    _, blocks = digest_blocks(_digest())
    assert blocks_text(blocks, NAMES) == "\n".join(
        [
            ":sparkles: Who helped whom, week 2026-W48",
            "1 kudo  ·  1 new ask  ·  1 resolved with credit  ·  1 person thanked or credited",
            RULE,
            ":handshake: Who helped whom",
            "• @carol helped Alice with “rotate <it>”; was thanked by Bob for “pairing”",
            RULE,
            ":star2: Most thanked this week",
            "1. Carol: thanked by 1 person (3 kudos)",
            "2. Bob: thanked by 1 person",
            RULE,
            ":raising_hand: Still open (1 ask)",
            "• “Need a hand” (https://l/9) by Dave",
            RULE,
            ":gift: New offers of help",
            "• Dave: `postgresql`",
            "Thank someone: `/kudos @teammate thanks for …`  ·  Need help? `/ask`  ·  "
            "Know something? `/offer topic`",
        ]
    )
    # Without names (the old call) a mention still reads, as its id.
    assert "• @U0CAROL helped Alice" in blocks_text(blocks)
    assert mentioned_users(blocks) == ["U0CAROL"]


def test_the_home_tab() -> None:
    content = HomeContent(
        user_id="U0BOB",
        domain="demo",
        my_asks=[AskLine(3, "U0BOB", "Where are the logs?", "open", "C0GENERAL", "1.2")],
        could_help=[AskLine(7, "U0ALICE", "Rotate it?", "open", "C0GENERAL", "3.4")],
        offers=[OfferLine(1, "postgresql", "happy to pair")],
        kudos=[KudosLine("U0CAROL", ("U0BOB",), None, NOW)],
    )
    shown = view_text(home_view(content), NAMES).splitlines()
    assert shown[:5] == [
        "Reciprocity",
        "Thank people with `/kudos @person …`, ask for specific help with `/ask`, offer what "
        "you know with `/offer topic`, and introduce two people who should meet with `/intro`.  "
        "[Ask for help]",
        "See who helps whom, which topics need people and how fast asks are answered.  "
        "[Open insights]",
        RULE,
        "Your open asks",
    ]
    assert "Where are the logs? (https://demo.slack.com/archives/C0GENERAL/p12)  ·  open" in shown
    assert "@alice: Rotate it? (https://demo.slack.com/archives/C0GENERAL/p34)  [I can help]" in (
        shown
    )
    assert "postgresql  happy to pair  [Remove]" in shown
    assert shown[-1] == "@carol → @bob: (in a private conversation)"


def test_forms_read_as_their_title_fields_and_buttons() -> None:
    kudos = modal(values=["teamwork"], private_metadata={}, recipients=["U0CAROL"])
    assert view_text(kudos, NAMES) == (
        "Give kudos\n"
        "Thank: [@carol ▾]\n"
        "For: [Thanks for … (be specific!)]\n"
        "Value (optional): [#teamwork ▾]\n"
        "[Send]  [Cancel]"
    )
    ask = view_text(compose_modal({}), NAMES).splitlines()
    assert ask[0] == "Ask for help"
    assert ask[1] == "What do you need? [The specific question or outcome]"
    assert ask[-1] == "[Ask]"


def test_blocks_a_terminal_cannot_show_are_left_out() -> None:
    blocks = [
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*When*"},
                {"type": "plain_text", "text": "*now*"},
            ],
        },
        {"type": "video", "title": {"type": "plain_text", "text": "x"}},
        {"type": "image", "image_url": "https://x.io/i.png", "alt_text": "a chart"},
        {"type": "actions", "elements": [{"type": "overflow", "options": []}]},
    ]
    assert blocks_text(blocks) == "When\n*now*\n[image: a chart]\n[…]"
