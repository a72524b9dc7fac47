"""Block Kit for suggested introductions: pure functions from plain values to the suggestion DM,
what it becomes once answered, and the reason the introduction form is prefilled with.

A suggestion names people and a topic only: never the text of an ask (see
`app.intros.suggestions` for why).
"""

from __future__ import annotations

from typing import Any

from app.slackapi.blockkit import actions, button, context, section
from app.slackapi.mrkdwn import escape

Message = dict[str, Any]
INTRODUCE = "intro.suggestion.introduce"
DISMISS = "intro.suggestion.dismiss"
NEW_HELPER = "new_helper"
SHARED_TOPIC = "shared_topic"
HOW = (
    "If you go ahead, each of them is asked privately first, and nobody is put in touch unless "
    "both say yes. I suggest at most one introduction a week."
)


def _topic(topic: str) -> str:
    return f"`{escape(topic)}`"


def headline(kind: str, first: str, second: str, topic: str) -> str:
    """Why the bot thought of this introduction, addressed to the person who could make it.

    For a new helper, `first` asked about the topic and `second` just helped; for a shared topic,
    `first` and `second` both keep asking about what the reader offers."""
    if kind == NEW_HELPER:
        return (
            f":bulb: <@{second}> just helped you with {_topic(topic)}, and <@{first}> asked about "
            f"{_topic(topic)} recently. You know them both: would you like to introduce them?"
        )
    return (
        f":bulb: <@{first}> and <@{second}> both keep asking about {_topic(topic)}, which you "
        "offer. Would you like to introduce them to each other?"
    )


def suggestion(suggestion_id: int, kind: str, first: str, second: str, topic: str) -> Message:
    """The DM suggesting an introduction, with "Introduce them" and "No thanks"."""
    value = str(suggestion_id)
    return {
        "text": headline(kind, first, second, topic),
        "blocks": [
            section(headline(kind, first, second, topic)),
            context(HOW),
            actions(
                button("Introduce them", INTRODUCE, value, style="primary"),
                button("No thanks", DISMISS, value),
                block_id=f"intro-suggestion-{suggestion_id}",
            ),
        ],
    }


def answered(kind: str, first: str, second: str, topic: str, line: str) -> Message:
    """What the suggestion DM becomes once answered: the same headline, its buttons gone."""
    return {
        "text": line,
        "blocks": [section(headline(kind, first, second, topic)), context(line)],
    }


def dismissed_line() -> str:
    """The suggestion's line after "No thanks"."""
    return (
        "No problem: I won't suggest these two to you again. Thanks for letting me know, and "
        "thank you for all the help you give."
    )


def introducing_line(first: str, second: str) -> str:
    """The suggestion's line after "Introduce them" (the form is open)."""
    return (
        f":handshake: Thank you! The introduction form is open with <@{first}> and <@{second}> "
        "filled in. If it closed before you sent it, type `/intro`, name them both and say why "
        "they should meet."
    )


def reason(kind: str, first: str, second: str, topic: str) -> str:
    """The reason the introduction form is prefilled with (plain text the connector may edit).

    `first` and `second` are the two people's names as the directory shows them."""
    if kind == NEW_HELPER:
        return (
            f"{second} just helped me with {topic}, and {first} has been asking about {topic} "
            "too. I think you two would have a lot to talk about."
        )
    return (
        f"You've both been asking about {topic} lately. Comparing notes could help you both, "
        "and I'm happy to share what I know about it too."
    )
