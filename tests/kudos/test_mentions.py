"""The `/kudos` text parser: examples of every form Slack sends, and properties over random text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from app.kudos.mentions import (
    Broadcast,
    ChannelMention,
    Link,
    UserGroup,
    UserMention,
    ValueTag,
    escape,
    parse,
    render_inert,
    tokenize,
    unescape,
)

MANY = settings(max_examples=2000, deadline=None)
WELL_FORMED_USER = re.compile(r"<@([UW][A-Z0-9]{1,20})(?:\|[^|<>]*)?>")


def test_every_token_form_is_recognised() -> None:
    text = (
        "<@U1|al> <@W2> <@U3|> <#C4|general> <#C5|> <!here> <!channel|channel> <!everyone> "
        "<!subteam^S6|@devs> <!subteam^S7> <https://x.io|docs> <mailto:a@b.c|mail> #Craft"
    )
    kinds = [type(t).__name__ for t in tokenize(text) if type(t).__name__ != "Text"]
    assert kinds == [
        "UserMention",
        "UserMention",
        "UserMention",
        "ChannelMention",
        "ChannelMention",
        "Broadcast",
        "Broadcast",
        "Broadcast",
        "UserGroup",
        "UserGroup",
        "Link",
        "Link",
        "ValueTag",
    ]
    parsed = parse(text)
    assert parsed.recipients == ("U1", "W2", "U3")
    assert parsed.broadcasts == ("here", "channel", "everyone")
    assert parsed.user_groups == ("S6", "S7")
    assert parsed.values == ("craft",)


def test_one_person_counts_once_however_written() -> None:
    assert parse("<@U1|al> <@U1> and <@U1|> thanks").recipients == ("U1",)
    assert parse("<@U1>++ <@U1> ++ thanks").recipients == ("U1",)


def test_the_message_follows_the_leading_mentions() -> None:
    parsed = parse("<@U1|al>, <@U2> and <@U3> &amp; <@U4> thanks for <@U5>'s review &lt;3")
    assert parsed.recipients == ("U1", "U2", "U3", "U4", "U5")
    assert parsed.message == "thanks for <@U5>'s review &lt;3"


def test_mentions_inside_the_message_are_recipients_too() -> None:
    parsed = parse("thanks <@U1> and <@U2> for the deploy")
    assert parsed.recipients == ("U1", "U2")
    assert parsed.message == "thanks <@U1> and <@U2> for the deploy"


def test_escaped_text_stays_text() -> None:
    parsed = parse("<@U1> &amp;lt;b&amp;gt; is not a tag")
    assert [t for t in parsed.tokens if isinstance(t, UserMention)] == [
        UserMention("U1", None, "<@U1>")
    ]
    assert unescape("&amp;lt;") == "&lt;"


def test_broken_brackets_never_make_recipients() -> None:
    for text in ("<@U1", "<<@U2>>", "<!subteam^>", "<@u3>", "<@>", "<@U4|a|b>", "@<U5>"):
        parsed = parse(text)
        assert set(parsed.recipients) <= set(WELL_FORMED_USER.findall(text)), text
    assert parse("<<@U2>>").recipients == ("U2",)


def test_values_are_lowercase_unique_and_not_channels() -> None:
    parsed = parse("<@U1> thanks #teamwork #Teamwork <#C1|general> a#b #x-y")
    assert parsed.values == ("teamwork", "x-y")


def test_plain_names_arrive_without_escaping() -> None:
    parsed = parse("@Bob.Smith and @carol thanks @here")
    assert parsed.plain_names == ("bob.smith", "carol")
    assert parsed.message == "thanks @here"


def test_render_inert_silences_every_broadcast_form() -> None:
    loud = "<!here> <!here|here> <!channel> <!everyone> <!subteam^S1|@devs> @channel @Here"
    quiet = render_inert(loud)
    for mention in ("<!", "@here", "@channel", "@everyone", "@Here", "<!subteam"):
        assert mention not in quiet
    assert "devs" in quiet


def test_render_inert_keeps_people_channels_links_and_entities() -> None:
    text = "<@U1> in <#C1|general> see <https://x.io|docs> &amp; 1 &lt; 2 & 3 > 1"
    assert render_inert(text) == (
        "<@U1> in <#C1|general> see <https://x.io|docs> &amp; 1 &lt; 2 &amp; 3 &gt; 1"
    )


def test_escape_and_unescape_are_inverse() -> None:
    assert unescape(escape("a & <b> &amp;")) == "a & <b> &amp;"


ids = st.from_regex(r"[UW][A-Z0-9]{2,10}", fullmatch=True)
labels = st.text(alphabet=st.characters(blacklist_characters="<>|"), max_size=8)
pieces = st.one_of(
    st.text(alphabet="ab &;<>|@#!^ \n", max_size=12),
    st.builds(lambda i, label: f"<@{i}|{label}>", ids, labels),
    st.builds(lambda i: f"<@{i}>", ids),
    st.builds(lambda c: f"<#{c}|chan>", st.from_regex(r"C[A-Z0-9]{2,6}", fullmatch=True)),
    st.sampled_from(
        [
            "<!here>",
            "<!channel>",
            "<!everyone>",
            "<!here|here>",
            "@here",
            "@channel",
            "@everyone",
            "<!subteam^S1|@team>",
            "<!subteam^S2>",
            "&amp;",
            "&lt;",
            "&gt;",
            "#value",
            "@name",
            "<https://e.x|l>",
        ]
    ),
)
texts = st.lists(pieces, max_size=12).map("".join)


@MANY
@given(texts)
def test_tokenize_round_trips_exactly(text: str) -> None:
    assert "".join(t.raw for t in tokenize(text)) == text


@MANY
@given(texts)
def test_recipients_are_exactly_the_well_formed_mentions(text: str) -> None:
    mentioned = list(dict.fromkeys(WELL_FORMED_USER.findall(text)))
    parsed = parse(text)
    assert set(parsed.recipients) <= set(mentioned)
    # Every distinct well-formed mention is found, once.
    assert len(parsed.recipients) == len(set(parsed.recipients)) == len(mentioned)


@MANY
@given(texts)
def test_render_inert_never_emits_a_broadcast(text: str) -> None:
    quiet = render_inert(text)
    for loud in ("<!here", "<!channel", "<!everyone", "<!subteam"):
        assert loud not in quiet
    assert not re.search(r"(?<![\w\u2060])@(here|channel|everyone)\b", quiet, re.IGNORECASE)
    # Nothing the person typed is lost: every user mention survives.
    assert WELL_FORMED_USER.findall(quiet) == WELL_FORMED_USER.findall(text)


@MANY
@given(st.text())
def test_parse_never_raises_on_any_text(text: str) -> None:
    parsed = parse(text)
    assert "".join(t.raw for t in parsed.tokens) == text
    assert isinstance(parsed.message, str)


def test_token_types_carry_their_parts() -> None:
    tokens = tokenize("<#C1|gen> <!here> <!subteam^S1|@t> <https://a.b|c> #v")
    assert ChannelMention("C1", "gen", "<#C1|gen>") in tokens
    assert Broadcast("here", "<!here>") in tokens
    assert UserGroup("S1", "@t", "<!subteam^S1|@t>") in tokens
    assert Link("https://a.b", "c", "<https://a.b|c>") in tokens
    assert ValueTag("v", "#v") in tokens
