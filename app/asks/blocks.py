"""Block Kit for asks: the ask's own message (state and buttons) and the resolve modal."""

from __future__ import annotations

import json
from typing import Any

from app.asks.matching import Candidate
from app.asks.topics import shown
from app.slackapi.blockkit import actions, button, context, plain, section
from app.slackapi.mrkdwn import escape, render_inert
from app.store.models import Ask
from app.store.statuses import LIVE_ASKS, AskStatus

CLAIM = "ask.claim"
RESOLVE = "ask.resolve"
CLOSE = "ask.close"
REOPEN = "ask.reopen"
STOP_MATCHES = "ask.stop_matches"
RESOLVE_CALLBACK = "ask.resolved"
COMPOSE_CALLBACK = "ask.compose"
COMPOSE_BLOCK = "need"
SECTION_LIMIT = 3000


def _state(ask: Ask) -> str:
    if ask.status == AskStatus.CLAIMED:
        return f":raising_hand: <@{ask.claimed_by}> offered to help"
    if ask.status == AskStatus.ANSWERED:
        return f":speech_balloon: Answered by <@{ask.answered_by}>"
    if ask.status == AskStatus.RESOLVED:
        helpers = ", ".join(f"<@{h.helper_id}>" for h in ask.helpers)
        return ":white_check_mark: Resolved" + (f" with help from {helpers}" if helpers else "")
    if ask.status == AskStatus.CLOSED:
        # Every nudge round done means the nudge pass closed it, not the asker.
        stale = ask.nudge_round >= 4
        return ":no_entry_sign: Closed" + (" after going unanswered" if stale else " by the asker")
    return ":wave: Open: can you help?"


def ask_message(ask: Ask) -> dict[str, Any]:
    """The ask as posted: who asks, what, its topics, where it stands, and its buttons."""
    head = f":question: <@{ask.asker_id}> asks:\n"
    body = render_inert(ask.text)
    # Slack refuses a section over 3,000 characters: the ask is cut to fit beside its heading.
    if len(head) + len(body) > SECTION_LIMIT:
        body = body[: SECTION_LIMIT - len(head) - 1] + "…"
    topics = "  ".join(f"`#{escape(t)}`" for t in shown(ask.topics)[:8])
    blocks = [
        section(head + body),
        context(_state(ask) + (f"  ·  {topics}" if topics else "")),
    ]
    if ask.status in LIVE_ASKS:
        value = str(ask.id)
        still = [button("Still need help", REOPEN, value)]
        blocks.append(
            actions(
                button("I can help", CLAIM, value, "primary"),
                button("Resolved", RESOLVE, value),
                *(still if ask.status == AskStatus.ANSWERED else []),
                button("Close", CLOSE, value),
                block_id="ask.actions",
            )
        )
    return {"text": f"<@{ask.asker_id}> asks: {render_inert(ask.text)[:300]}", "blocks": blocks}


def resolve_modal(ask: Ask, helpers: list[str]) -> dict[str, Any]:
    """The modal where the asker credits who helped and may thank them."""
    people: dict[str, Any] = {
        "type": "multi_users_select",
        "action_id": "users",
        "placeholder": plain("Who helped?"),
    }
    if helpers:
        people["initial_users"] = helpers
    return {
        "type": "modal",
        "callback_id": RESOLVE_CALLBACK,
        "private_metadata": json.dumps({"ask_id": ask.id}),
        "title": plain("Resolve your ask"),
        "submit": plain("Resolve"),
        "blocks": [
            {
                "type": "input",
                "block_id": "helpers",
                "optional": True,
                "label": plain("Who helped?"),
                "element": people,
            },
            {
                "type": "input",
                "block_id": "note",
                "optional": True,
                "label": plain("Say thanks (posted as kudos)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": 1000,
                },
            },
        ],
    }


def _listed(topics: tuple[str, ...]) -> str:
    """Topics as inline code, comma-separated (empty for none)."""
    return ", ".join(f"`{escape(t)}`" for t in topics)


def _why(candidate: Candidate) -> str:
    """Why this person hears of the ask, in true words: what they offered, what they helped on."""
    offered, helped = _listed(candidate.offered), _listed(candidate.helped)
    if offered and helped:
        return f"{offered}, which you offered, and {helped}, which you helped with before"
    if offered:
        return f"{offered}, which you offered"
    if helped:
        return f"{helped}, which you helped with before"
    return "a topic you offered"


def match_dm(ask: Ask, candidate: Candidate, link: str | None, *, private: bool) -> dict[str, Any]:
    """The private note to someone whose offers (or past help) match an ask, with "I can help"
    and "Stop these".

    It names only the topics the person offered, in the words of their offer, and the topics they
    were credited for helping on before, said as such. A `private` ask is described without its
    text or asker: only its topics.
    """
    if private:
        named = _listed(candidate.topics) or "a topic you offered"
        text = (
            f":wave: Someone asked for help on {named} in a private conversation. "
            "If you can help, say so and they'll hear from you."
        )
    else:
        where = f" (<{link}|see the ask>)" if link else ""
        body = render_inert(ask.text)[:1500]
        text = f":wave: <@{ask.asker_id}> asked about {_why(candidate)}{where}:\n>{body}"
    return {
        "text": text,
        "blocks": [
            section(text),
            actions(
                button("I can help", CLAIM, str(ask.id), "primary"),
                button("Stop these", STOP_MATCHES, str(ask.id)),
                block_id="ask.match",
            ),
        ],
    }


def compose_modal(metadata: dict[str, Any], similar: str = "") -> dict[str, Any]:
    """The ask form: it nudges people to be specific, and shows `similar` resolved asks (mrkdwn).

    Typing in "What do you need?" dispatches a block action (block `COMPOSE_BLOCK`), so the form
    can be updated with similar resolved asks while the person is still writing.
    """

    def field(
        block: str, label: str, hint: str, *, optional: bool = True, multiline: bool = False
    ) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block,
            "optional": optional,
            "label": plain(label),
            "element": {
                "type": "plain_text_input",
                "action_id": "text",
                "multiline": multiline,
                "max_length": 1000,
                "placeholder": plain(hint),
            },
        }

    need = field(
        COMPOSE_BLOCK,
        "What do you need?",
        "The specific question or outcome",
        optional=False,
        multiline=True,
    )
    need["dispatch_action"] = True
    need["element"]["dispatch_action_config"] = {"trigger_actions_on": ["on_character_entered"]}
    coach = [context(similar)]
    return {
        "type": "modal",
        "callback_id": COMPOSE_CALLBACK,
        "private_metadata": json.dumps(metadata),
        "title": plain("Ask for help"),
        "submit": plain("Ask"),
        "blocks": [
            need,
            *(coach if similar else []),
            field(
                "tried", "What have you tried?", "Links, commands, what happened", multiline=True
            ),
            field("by", "By when?", "e.g. Friday, before the release"),
            field("topics", "Topics", "e.g. postgres, kubernetes"),
        ],
    }
