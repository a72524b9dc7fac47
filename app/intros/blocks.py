"""Block Kit for introductions: pure functions from plain values to messages and the form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from app.intros.results import IntroRefusal, Refused
from app.slackapi.blockkit import actions, button, context, plain, section
from app.slackapi.mrkdwn import escape, render_inert

Message = dict[str, Any]
ACCEPT = "intro.accept"
DECLINE = "intro.decline"
FORM_CALLBACK = "intro.make"
FIRST_BLOCK = "first"
SECOND_BLOCK = "second"
REASON_BLOCK = "reason"
USER_ACTION = "user"
SECTION_LIMIT = 3000
REASON_LIMIT = 1000
FORM_FAILED = (
    "I couldn't open the form in time. Try again, or type it out: "
    "`/intro @first @second why they should meet`"
)
HELP = (
    "*Introduce two people:* `/intro @first @second why they should meet`\n"
    "Each of them is asked first, privately; only when both say yes do I start a group DM with "
    "the three of you. `/intro` alone opens a form. Your introductions are on my Home tab."
)


def _quote(text: str) -> str:
    quoted = "\n".join(f">{line}" for line in render_inert(text).splitlines() or [""])
    return quoted if len(quoted) <= SECTION_LIMIT else quoted[: SECTION_LIMIT - 1] + "…"


def _topics(topics: Sequence[str]) -> str:
    return ", ".join(f"`{escape(t)}`" for t in topics)


def _offers_line(person: str, topics: Sequence[str]) -> str:
    if not topics:
        return f"<@{person}> hasn't listed anything with `/offer` yet."
    return f"<@{person}> offers help with {_topics(topics)}."


def _day(moment: datetime) -> str:
    # Slack renders the date in each reader's own time zone.
    return f"<!date^{int(moment.timestamp())}^{{date_long}}|{moment:%Y-%m-%d}>"


def invitation(
    intro_id: int,
    connector: str,
    other: str,
    reason: str,
    other_topics: Sequence[str],
    expires_at: datetime,
) -> Message:
    """The DM asking one of the two whether they would like to be introduced to the other."""
    headline = f":wave: <@{connector}> would like to introduce you to <@{other}>."
    how = (
        "If you both say yes, I'll start a group DM with the three of you. "
        f"If not, nobody is put on the spot. This request stays open until {_day(expires_at)}."
    )
    value = str(intro_id)
    return {
        "text": f"<@{connector}> would like to introduce you to <@{other}>",
        "blocks": [
            section(headline),
            section(_quote(reason)),
            section(_offers_line(other, other_topics)),
            context(how),
            actions(
                button("Happy to connect", ACCEPT, value, style="primary"),
                button("Not now", DECLINE, value),
                block_id=f"intro-{intro_id}",
            ),
        ],
    }


def answered(connector: str, other: str, text: str) -> Message:
    """What an invitation becomes once it needs no more answer: its buttons go."""
    return {
        "text": text,
        "blocks": [
            section(f"<@{connector}> wanted to introduce you to <@{other}>."),
            context(text),
        ],
    }


def waiting_for_other(other: str) -> str:
    """The invitation's line after this person said yes, before the other did."""
    return f":white_check_mark: You said yes. I'll start the group DM as soon as <@{other}> does."


def connected_line() -> str:
    """The invitation's line once both said yes."""
    return ":handshake: You both said yes: the introduction is in your group DM."


def declined_line() -> str:
    """The invitation's line for the person who said "Not now"."""
    return "No problem. Nobody is told why; thanks for letting me know."


def not_going_ahead_line() -> str:
    """The invitation's line for the other person, after a "Not now"."""
    return "This introduction isn't going ahead for now. Nothing for you to do."


def expired_line(expires_at: datetime) -> str:
    """The invitation's line once it expired unanswered."""
    return f"This introduction request expired on {_day(expires_at)}. Nothing for you to do."


def group_post(
    connector: str,
    first: str,
    second: str,
    reason: str,
    topics: Mapping[str, Sequence[str]],
) -> Message:
    """The introduction itself, posted in the group DM of the three once both said yes."""
    headline = (
        f":handshake: <@{first}>, meet <@{second}>. <@{second}>, meet <@{first}>. "
        f"<@{connector}> thought you should know each other:"
    )
    lines = [_offers_line(person, topics.get(person, ())) for person in (first, second)]
    question = first_question(first, second, topics)
    return {
        "text": f"<@{connector}> introduced <@{first}> and <@{second}>",
        "blocks": [
            section(headline),
            section(_quote(reason)),
            context(" ".join(lines)),
            section(f":speech_balloon: *To start you off:* {question}"),
        ],
    }


def first_question(first: str, second: str, topics: Mapping[str, Sequence[str]]) -> str:
    """A question that gets the two talking: about what one of them offers, when either does."""
    for asker, expert in ((first, second), (second, first)):
        offered = topics.get(expert) or ()
        if offered:
            return (
                f"<@{asker}>, what would you most like to learn from <@{expert}> "
                f"about {_topics(offered[:1])}?"
            )
    return "What are you each working on this month, and where would a second pair of eyes help?"


def declined_note(first: str, second: str) -> Message:
    """The connector's note when one of the two said "Not now": no names, no blame."""
    text = (
        f"Your introduction of <@{first}> and <@{second}> isn't going ahead for now: one of them "
        "can't take it up at the moment. No need to follow up; thank you for thinking of them."
    )
    return {"text": text}


def expired_note(first: str, second: str, days: int) -> Message:
    """The connector's note when an introduction expired before both said yes."""
    text = (
        f"Your introduction of <@{first}> and <@{second}> expired after {days} days without both "
        "of them saying yes, so I've withdrawn it. If it still matters, a word in person may help."
    )
    return {"text": text}


def made_reply(first: str, second: str, days: int) -> str:
    """The connector's answer once the two were asked."""
    return (
        f":incoming_envelope: I've asked <@{first}> and <@{second}>, each privately. When both "
        f"say yes, I'll start a group DM with the three of you. They have {days} days to answer; "
        "you can follow it on my Home tab."
    )


_REFUSALS = {
    IntroRefusal.NOT_TWO: (
        "Name the two people to introduce, then why: `/intro @first @second you both work on "
        "search`."
    ),
    IntroRefusal.UNKNOWN_NAME: "I don't know anyone called @{subject}. Pick them from the @ menu.",
    IntroRefusal.AMBIGUOUS_NAME: (
        "More than one person is called @{subject}. Pick the one you mean from the @ menu."
    ),
    IntroRefusal.SAME_PERSON: "That's the same person twice: name two different people.",
    IntroRefusal.SELF: (
        "You can't introduce yourself; write to them directly. `/intro` puts two *other* "
        "people in touch."
    ),
    IntroRefusal.BOT: "<@{subject}> is a bot: introductions are between people.",
    IntroRefusal.DEACTIVATED: "<@{subject}> is no longer active in this workspace.",
    IntroRefusal.UNKNOWN_USER: "I can't find <@{subject}> in this workspace.",
    IntroRefusal.NO_REASON: (
        "Say why they should meet, so each knows what it's about: "
        "`/intro @first @second you both work on search`."
    ),
    IntroRefusal.TOO_LONG: "Keep the reason under {limit} characters (it's {count}).",
    IntroRefusal.RECENT: (
        "These two were already introduced on {since}; an introduction of the same people can be "
        "made once every 30 days."
    ),
    IntroRefusal.DAILY_LIMIT: (
        "You've made {limit} introductions today, the daily limit. Try again tomorrow."
    ),
}


def refusal_text(refused: Refused) -> str:
    """A friendly sentence saying why an introduction was not made and how to fix it."""
    since = _day(refused.since) if refused.since else ""
    return _REFUSALS[refused.reason].format(
        subject=escape(refused.subject), limit=refused.limit, count=refused.count, since=since
    )


def _picker(block_id: str, label: str, initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "users_select",
        "action_id": USER_ACTION,
        "placeholder": plain("Choose someone"),
    }
    if initial:
        element["initial_user"] = initial
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element}


def modal(
    *, private_metadata: str, first: str | None = None, second: str | None = None, reason: str = ""
) -> dict[str, Any]:
    """The introduction form: two people pickers and why they should meet."""
    text: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "text",
        "multiline": True,
        "max_length": REASON_LIMIT,
        "placeholder": plain("Why should they meet? What could they do together?"),
    }
    if reason:
        text["initial_value"] = reason
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "private_metadata": private_metadata,
        "title": plain("Introduce two people"),
        "submit": plain("Ask them"),
        "close": plain("Cancel"),
        "blocks": [
            _picker(FIRST_BLOCK, "Introduce", first),
            _picker(SECOND_BLOCK, "to", second),
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": plain("Why they should meet"),
                "element": text,
            },
            context("Each is asked privately first; the group DM starts only if both say yes."),
        ],
    }


# The follow-up two weeks after a connection: did it help, and a one-click thanks.
THANK = "intro.thank"
NOT_REALLY = "intro.not_really"
# Slack refuses a button whose text is longer than this.
BUTTON_TEXT_LIMIT = 75


def thank_label(connector_name: str) -> str:
    """The thank button's text: "Thank <name>" (plain text), or "Thank them" without a name."""
    label = f"Thank {connector_name.strip()}" if connector_name.strip() else "Thank them"
    return label if len(label) <= BUTTON_TEXT_LIMIT else label[: BUTTON_TEXT_LIMIT - 1] + "…"


def _follow_up_question(connector: str, other: str) -> str:
    return f"Two weeks ago <@{connector}> introduced you to <@{other}>. Did it help?"


def follow_up(intro_id: int, connector: str, other: str, connector_name: str) -> Message:
    """The DM asking one of the two, two weeks on, whether the introduction helped."""
    question = _follow_up_question(connector, other)
    value = str(intro_id)
    return {
        "text": question,
        "blocks": [
            section(f":seedling: {question}"),
            actions(
                button(thank_label(connector_name), THANK, value, style="primary"),
                button("Not really", NOT_REALLY, value),
                block_id=f"intro-followup-{intro_id}",
            ),
        ],
    }


def follow_up_answered(connector: str, other: str, line: str) -> Message:
    """What the follow-up becomes once answered: the question stays, the buttons go."""
    return {
        "text": line,
        "blocks": [section(_follow_up_question(connector, other)), context(line)],
    }


def thanked_line(connector: str) -> str:
    """The follow-up's line once its reader thanked the connector."""
    return f"You thanked <@{connector}> :tada:"


def not_really_line() -> str:
    """The follow-up's line after "Not really": nobody else hears of it."""
    return (
        "Thanks for telling me. Not every introduction clicks, and that's fine; "
        "nobody else is told."
    )


def thanks_message(other: str) -> str:
    """The kudos message a thank click gives the connector."""
    return f"Thanks for introducing me to <@{other}>!"
