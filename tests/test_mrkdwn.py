"""The `/kudos` text parser: examples of every form Slack sends, and properties over random text."""

from __future__ import annotations

import os
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from app.slackapi.mrkdwn import (
    Broadcast,
    ChannelMention,
    Hyperlink,
    PlainName,
    Text,
    UserGroup,
    UserMention,
    ValueTag,
    escape,
    parse,
    render_inert,
    tokenize,
    unescape,
    value_tags,
)

# The tokenizer's properties hold the parser of every command: 2,000 inputs each with
# HOSTILE_FULL=1, 400 in the suite (which runs them once per database, though they touch none).
EXAMPLES = settings(
    max_examples=2000 if os.environ.get("HOSTILE_FULL", "").strip() == "1" else 400,
    deadline=None,
)

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
        "Hyperlink",
        "Hyperlink",
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


def test_labels_may_be_missing_or_empty_and_ids_may_be_grid_ids() -> None:
    assert tokenize("<@W0ABC>") == [UserMention("W0ABC", None, "<@W0ABC>")]
    assert tokenize("<@U1|>") == [UserMention("U1", "", "<@U1|>")]
    assert tokenize("<#C1|>") == [ChannelMention("C1", "", "<#C1|>")]
    assert tokenize("<!subteam^S9>") == [UserGroup("S9", None, "<!subteam^S9>")]
    assert tokenize("<https://x.io>") == [Hyperlink("https://x.io", None, "<https://x.io>")]
    mail = "<mailto:a@b.c|a@b.c>"
    assert tokenize(mail) == [Hyperlink("mailto:a@b.c", "a@b.c", mail)]
    assert parse("<@W1|al> <@U1>").recipients == ("W1", "U1")


def test_plus_plus_and_trailing_separators_stay_out_of_the_message() -> None:
    assert parse("<@U1>++ great deploy").message == "great deploy"
    assert parse("<@U1> ++ great deploy").message == "great deploy"
    assert parse("<@U1>, <@U2>: great deploy").message == "great deploy"
    assert parse("<@U1> and thanks").message == "and thanks"
    assert parse("@bob++ @carol ++ thanks").plain_names == ("bob", "carol")
    assert parse("  <@U1>  ").message == ""
    assert parse("  great deploy  ").message == "great deploy"


def test_plain_names_do_not_end_in_a_dot_and_addresses_are_not_names() -> None:
    parsed = parse("thanks @Bob. and mail bob@x.io (@dana)")
    assert parsed.plain_names == ("bob", "dana")
    assert PlainName("bob", "@Bob") in parsed.tokens


def test_plain_broadcasts_are_broadcasts_not_names() -> None:
    parsed = parse("@Here and @channel <!everyone|everyone>")
    assert parsed.broadcasts == ("here", "channel", "everyone")
    assert parsed.plain_names == ()


def test_text_unescapes_once() -> None:
    [token] = tokenize("a &amp;lt; b &lt; c &amp;amp;")
    assert isinstance(token, Text)
    assert token.text == "a &lt; b < c &amp;"


def test_values_need_white_space_before_them_and_a_length_limit() -> None:
    assert parse("#ok x#no (#no) #" + "a" * 41).values == ("ok",)
    assert parse("#" + "a" * 40 + " #under_score").values == ("a" * 40, "under_score")


def test_render_inert_quietens_labels_but_keeps_urls() -> None:
    text = "<mailto:ops@here.io|@here> <https://x.io/@channel> <#C1|@everyone>"
    quiet = render_inert(text)
    assert "<mailto:ops@here.io|@\u2060here>" in quiet
    assert "<https://x.io/@channel>" in quiet
    assert "<#C1|@\u2060everyone>" in quiet
    assert render_inert("mail ops@here.io") == "mail ops@here.io"
    assert render_inert(render_inert("@here <!here>")) == render_inert("@here <!here>")


def test_render_inert_on_broadcast_forms_gives_readable_text() -> None:
    assert render_inert("<!here|here> <!channel> <!everyone|@everyone>") == (
        "@\u2060here @\u2060channel @\u2060everyone"
    )
    assert render_inert("<!subteam^S1|@devs> <!subteam^S2>") == "@\u2060devs @\u2060group"
    assert render_inert("ping @CHANNEL now") == "ping @\u2060channel now"


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
            "<mailto:a@here.io|@here>",
            "<@U1>++",
            " and ",
            ", ",
            "<@u1>",
            "<!subteam^>",
            "<@U2",
        ]
    ),
    st.builds(lambda n: f"@{n}", st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,8}", fullmatch=True)),
    st.builds(lambda v: f" #{v}", st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True)),
    st.builds(lambda label: f"<https://e.x|{label}>", labels),
)
texts = st.lists(pieces, max_size=12).map("".join)


@EXAMPLES
@given(texts)
def test_tokenize_round_trips_exactly(text: str) -> None:
    assert "".join(t.raw for t in tokenize(text)) == text


@EXAMPLES
@given(texts)
def test_recipients_are_exactly_the_well_formed_mentions(text: str) -> None:
    mentioned = list(dict.fromkeys(WELL_FORMED_USER.findall(text)))
    parsed = parse(text)
    assert set(parsed.recipients) <= set(mentioned)
    # Every distinct well-formed mention is found, once.
    assert len(parsed.recipients) == len(set(parsed.recipients)) == len(mentioned)


@EXAMPLES
@given(texts)
def test_render_inert_never_emits_a_broadcast(text: str) -> None:
    quiet = render_inert(text)
    for loud in ("<!here", "<!channel", "<!everyone", "<!subteam"):
        assert loud not in quiet
    assert not re.search(r"(?<![\w\u2060])@(here|channel|everyone)\b", quiet, re.IGNORECASE)
    # Nothing the person typed is lost: every user mention survives.
    assert WELL_FORMED_USER.findall(quiet) == WELL_FORMED_USER.findall(text)


@EXAMPLES
@given(texts)
def test_value_tags_are_the_tokenizers_tags(text: str) -> None:
    expected = [token.value for token in tokenize(text) if isinstance(token, ValueTag)]
    assert value_tags(text) == expected


def test_value_tags_start_fresh_after_a_bracket_token_as_the_tokenizer_does() -> None:
    # After a mention the tag's piece starts at "#": a tag, though ">" stands before it.
    assert value_tags("<@U1>#Docs and <#C1|x>#ops, not a#b, #ok") == ["docs", "ops", "ok"]
    assert value_tags("<#C1|general> x#y") == []


@EXAMPLES
@given(texts)
def test_parse_is_consistent_with_its_tokens(text: str) -> None:
    parsed = parse(text)
    assert parsed.tokens == tuple(tokenize(text))
    assert parsed.message == parsed.message.strip()
    assert parsed.message in text
    assert all(v == v.lower() for v in (*parsed.values, *parsed.plain_names))
    for user_id in parsed.recipients:
        assert re.search(rf"<@{user_id}(?:\|[^|<>]*)?>", text)


@EXAMPLES
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
    assert Hyperlink("https://a.b", "c", "<https://a.b|c>") in tokens
    assert ValueTag("v", "#v") in tokens
