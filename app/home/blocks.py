"""Block Kit for the Home tab and its "offer help" form: pure functions of `HomeContent`."""

from __future__ import annotations

from typing import Any

from app.asks.blocks import CLAIM
from app.home.content import AskLine, HomeContent, KudosLine
from app.permalinks import permalink
from app.slackapi.blockkit import context, divider, header, plain, section
from app.slackapi.mrkdwn import escape, render_inert
from app.store.statuses import AskStatus

OFFER_ADD = "home.offer_add"
OFFER_REMOVE = "home.offer_remove"
OFFER_CALLBACK = "home.offer_added"
ASK = "home.ask"
_STATES: dict[str, str] = {
    AskStatus.OPEN: "open",
    AskStatus.CLAIMED: "someone offered to help",
    AskStatus.ANSWERED: "answered",
}
# A Home view holds at most 100 blocks; these sections stay far below it.
MAX_TEXT = 280


def _short(text: str) -> str:
    first = render_inert(text).splitlines()[0] if text.strip() else ""
    return first if len(first) <= MAX_TEXT else first[: MAX_TEXT - 1] + "…"


def _button(action_id: str, label: str, value: str = "", **extra: Any) -> dict[str, Any]:
    button = {
        "type": "button",
        "action_id": action_id,
        "text": plain(label),
    }
    if value:
        button["value"] = value
    return {**button, **extra}


def _section(text: str, accessory: dict[str, Any]) -> dict[str, Any]:
    return {**section(text), "accessory": accessory}


def _ask_text(ask: AskLine, domain: str | None) -> str:
    body = _short(ask.text) if ask.text is not None else "_(asked in a private conversation)_"
    if ask.channel_id and ask.message_ts and ask.text is not None:
        # `_short` has escaped the text already (render_inert): escaping again would show `&lt;`.
        body = f"<{permalink(domain, ask.channel_id, ask.message_ts)}|{body}>"
    return body


def _kudos_text(kudos: KudosLine) -> str:
    people = ", ".join(f"<@{r}>" for r in kudos.recipient_ids)
    said = _short(kudos.message) if kudos.message is not None else "_(in a private conversation)_"
    return f"<@{kudos.giver_id}> → {people}: {said}"


def home_view(content: HomeContent) -> dict[str, Any]:
    """The Home tab of `content.user_id`."""
    blocks: list[dict[str, Any]] = [
        header("Reciprocity"),
        _section(
            "Thank people with `/kudos @person …`, ask for specific help with `/ask`, and "
            "offer what you know with `/offer topic`.",
            _button(ASK, "Ask for help", style="primary"),
        ),
        divider(),
        header("Your open asks"),
    ]
    if content.my_asks:
        blocks += [
            context(f"{_ask_text(a, content.domain)}  ·  {_STATES.get(a.status, a.status)}")
            for a in content.my_asks
        ]
    else:
        blocks.append(context("None open. Stuck on something? `/ask` reaches the right people."))
    blocks.append(header("Asks you could help with"))
    if content.could_help:
        blocks += [
            _section(
                f"<@{a.asker_id}>: {_ask_text(a, content.domain)}",
                _button(CLAIM, "I can help", str(a.id)),
            )
            for a in content.could_help
        ]
    else:
        blocks.append(context("Nothing waiting on your topics right now."))
    blocks.append(header("What you offer"))
    blocks += [
        _section(
            f"*{escape(o.topic)}*" + (f"  {escape(o.note)}" if o.note else ""),
            _button(OFFER_REMOVE, "Remove", str(o.id)),
        )
        for o in content.offers
    ]
    blocks.append(
        _section(
            "Offer a topic and asks about it will find you."
            if not content.offers
            else "Know something else well?",
            _button(OFFER_ADD, "Offer help"),
        )
    )
    blocks.append(header("Recent kudos"))
    if content.kudos:
        blocks += [context(_kudos_text(k)) for k in content.kudos]
    else:
        blocks.append(
            context("No kudos yet. Who helped you this week? `/kudos @them thanks for …`")
        )
    return {"type": "home", "blocks": blocks}


def offer_modal() -> dict[str, Any]:
    """The form behind the Home tab's "Offer help" button."""
    return {
        "type": "modal",
        "callback_id": OFFER_CALLBACK,
        "title": plain("Offer help"),
        "submit": plain("Offer"),
        "blocks": [
            _text_input("topics", "Topics", 400, "e.g. postgres, kubernetes"),
            {**_text_input("note", "Note", 300, "e.g. happy to pair on Fridays"), "optional": True},
        ],
    }


def _text_input(block_id: str, label: str, max_length: int, example: str) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": {
            "type": "plain_text_input",
            "action_id": "text",
            "max_length": max_length,
            "placeholder": plain(example),
        },
    }
