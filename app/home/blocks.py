"""Block Kit for the Home tab and its "offer help" form: pure functions of `HomeContent`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.asks.blocks import CLAIM
from app.home.content import INTROS_FRESH, AskLine, HomeContent, IntroLine, InviteLine, KudosLine
from app.permalinks import permalink
from app.slackapi.blockkit import context, divider, header, plain, section
from app.slackapi.mrkdwn import escape, render_inert
from app.store.statuses import AskStatus, IntroStatus

OFFER_ADD = "home.offer_add"
OFFER_REMOVE = "home.offer_remove"
OFFER_CALLBACK = "home.offer_added"
ASK = "home.ask"
# An action, not a link: the Home tab is drawn ahead of time, and a link in it would be dead (or
# spent) by the time it is clicked; the click opens a modal with a fresh one (app/home/insights.py).
INSIGHTS = "home.insights"
_STATES: dict[str, str] = {
    AskStatus.OPEN: "open",
    AskStatus.CLAIMED: "someone offered to help",
    AskStatus.ANSWERED: "answered",
}
# A Home view holds at most 100 blocks. Asks, kudos and introductions are capped where they are
# read (app/home/content.py); offers, which a person may add without end, are capped here. Full,
# every section together draws 73 blocks (tests/home/test_home_intros.py counts them).
MAX_TEXT = 280
OFFERS_SHOWN = 25


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


def _date(moment: datetime) -> str:
    # Slack writes the date in each reader's own zone ("yesterday", "Nov 30").
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}}|{moment:%Y-%m-%d}>"


def _intro_state(intro: IntroLine) -> str:
    """Where an introduction stands, for its connector: never who said yes or "not now"."""
    until = f"open until {_date(intro.expires_at)}"
    if intro.state == IntroStatus.WAITING:
        return f"waiting for both to answer, {until}"
    if intro.state == IntroStatus.ACCEPTED:
        # Naming who said yes would name who said "not now" if the other later declines.
        return f"one of them said yes, waiting for the other, {until}"
    if intro.state == IntroStatus.CONNECTED:
        when = f" {_date(intro.connected_at)}" if intro.connected_at else ""
        return f":handshake: connected{when}"
    if intro.state == IntroStatus.DECLINED:
        return "not going ahead"
    if intro.state == IntroStatus.EXPIRED:
        return "expired before both said yes"
    return intro.state


def _intro_text(intro: IntroLine) -> str:
    return f"<@{intro.first_id}> and <@{intro.second_id}>  ·  {_intro_state(intro)}"


def _invite_text(invite: InviteLine) -> str:
    return (
        f":wave: <@{invite.connector_id}> would like to introduce you to <@{invite.other_id}>: "
        f"answer in your DMs (open until {_date(invite.expires_at)})."
    )


def _intro_blocks(content: HomeContent) -> list[dict[str, Any]]:
    """The "Your introductions" section: those waiting for your answer, then those you made."""
    blocks = [header("Your introductions")]
    blocks += [context(_invite_text(i)) for i in content.invites]
    blocks += [context(_intro_text(i)) for i in content.intros]
    if not content.intros:
        blocks.append(
            context(
                f"None made in the last {INTROS_FRESH.days} days. Know two people who should "
                "meet? `/intro @first @second why`"
            )
        )
    return blocks


def _offer_blocks(content: HomeContent) -> list[dict[str, Any]]:
    """The "What you offer" section: each offer with Remove (the first `OFFERS_SHOWN`), and
    the button to offer more."""
    blocks = [header("What you offer")]
    blocks += [
        _section(
            f"*{escape(o.topic)}*" + (f"  {escape(o.note)}" if o.note else ""),
            _button(OFFER_REMOVE, "Remove", str(o.id)),
        )
        for o in content.offers[:OFFERS_SHOWN]
    ]
    hidden = len(content.offers) - OFFERS_SHOWN
    if hidden > 0:
        blocks.append(context(f"and {hidden} more: `/offer list` shows them all."))
    blocks.append(
        _section(
            "Offer a topic and asks about it will find you."
            if not content.offers
            else "Know something else well?",
            _button(OFFER_ADD, "Offer help"),
        )
    )
    return blocks


def home_view(content: HomeContent) -> dict[str, Any]:
    """The Home tab of `content.user_id`."""
    blocks: list[dict[str, Any]] = [
        header("Reciprocity"),
        _section(
            "Thank people with `/kudos @person …`, ask for specific help with `/ask`, "
            "offer what you know with `/offer topic`, and introduce two people who should meet "
            "with `/intro`.",
            _button(ASK, "Ask for help", style="primary"),
        ),
        _section(
            "See who helps whom, which topics need people and how fast asks are answered.",
            _button(INSIGHTS, "Open insights"),
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
    blocks += _intro_blocks(content)
    blocks += _offer_blocks(content)
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
