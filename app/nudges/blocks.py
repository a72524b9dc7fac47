"""Block Kit for nudges: the thread tip, the asker's last-round question, the follow-up, the
stale notice, and the offer check. Pure functions of plain values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.asks.blocks import CLOSE, REOPEN, RESOLVE
from app.asks.topics import shown
from app.slackapi.blockkit import Block, actions, button, section
from app.slackapi.mrkdwn import escape, render_inert

KEEP = "nudge.keep"
SNOOZE = "nudge.snooze"
THANK = "nudge.thank"
OFFERS_KEEP = "offers.keep"
OFFERS_DROP = "offers.drop"
QUOTE = 200


def _quote(text: str) -> str:
    first = render_inert(text).strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= QUOTE else first[: QUOTE - 1] + "…"


def _message(text: str, *buttons: Block) -> dict[str, Any]:
    blocks = [section(text)]
    if buttons:
        blocks.append(actions(*buttons))
    return {"text": text, "blocks": blocks}


def thread_tip(topics: Sequence[str], told: int) -> str:
    """Round two, in the ask's thread: how to make the ask easier to answer."""
    more = (
        f" I've also asked {told} more {'person' if told == 1 else 'people'} who know "
        + ", ".join(f"`{escape(t)}`" for t in shown(topics)[:3])
        + "."
        if told
        else ""
    )
    return (
        ":hourglass_flowing_sand: No answer yet. Asks get answered faster when they say "
        "exactly what fails (the error, a link), what was tried, and by when it's needed: "
        "add that here in the thread." + more
    )


def last_round(ask_id: int, text: str) -> dict[str, Any]:
    """The asker's last-round DM: keep the ask open, be asked again tomorrow, resolve or close."""
    value = str(ask_id)
    return _message(
        f"Nobody has answered your ask yet:\n>{_quote(text)}\n"
        "Do you still need it? If not, resolve or close it so people see what's still open.",
        button("Keep it open", KEEP, value, "primary"),
        button("Remind me tomorrow", SNOOZE, value),
        button("Resolved", RESOLVE, value),
        button("Close it", CLOSE, value),
    )


def closed_stale(text: str, days: int) -> dict[str, Any]:
    """The asker is told their ask was closed after going unanswered."""
    return _message(
        f"I closed your ask after {days} more days without an answer:\n>{_quote(text)}\n"
        "Ask again any time with `/ask`; more detail and a `#topic` help it reach the right people."
    )


def follow_up(ask_id: int, text: str, answerers: Sequence[str]) -> dict[str, Any]:
    """A day after answers came in: did they help? Thank them, or say you still need help."""
    people = ", ".join(f"<@{u}>" for u in answerers) or "Someone"
    value = str(ask_id)
    return _message(
        f"{people} answered your ask:\n>{_quote(text)}\nDid that sort it out?",
        button("Resolved, thank them", THANK, value, "primary"),
        button("Still need help", REOPEN, value),
    )


def offers_check(topics: Sequence[str], grace_days: int) -> dict[str, Any]:
    """The periodic check that someone's offers still stand."""
    named = ", ".join(f"`{escape(t)}`" for t in topics)
    joined = ",".join(topics)
    return _message(
        f"A while ago you offered help with {named}. Is that still right? Without an answer "
        f"in {grace_days} days these stop bringing you asks (you can offer them again any time).",
        button("Keep them", OFFERS_KEEP, joined[:2000], "primary"),
        button("Remove them", OFFERS_DROP, joined[:2000]),
    )
