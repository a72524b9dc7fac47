"""Block Kit for kudos: pure functions from plain values to Slack message and view payloads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from app.kudos.results import RefusalReason, Refused
from app.slackapi.blockkit import button, context, plain, section
from app.slackapi.mrkdwn import escape, render_inert

Message = dict[str, Any]
UNDO_ACTION = "kudos.undo"
MODAL_CALLBACK = "kudos.give"
SHORTCUT_CALLBACK = "kudos.for_message"
SECTION_LIMIT = 3000
# The give-kudos form's blocks: whom to thank, what for, and which value.
RECIPIENTS_BLOCK = "recipients"
MESSAGE_BLOCK = "message"
VALUE_BLOCK = "value"
FORM_FAILED = (
    "I couldn't open the form in time. Try again, or type it out: `/kudos @teammate thanks for …`"
)
NOT_HERE = (
    "\n:information_source: I'm not in this private channel, so the post can't "
    "appear here; invite me with `/invite @Reciprocity`. Your kudos is saved and "
    "its recipients are told."
)


def _people(user_ids: Sequence[str]) -> str:
    mentions = [f"<@{u}>" for u in user_ids]
    if len(mentions) <= 2:
        return " and ".join(mentions)
    return ", ".join(mentions[:-1]) + " and " + mentions[-1]


def _quoted(inert: str) -> str:
    """`inert`, a message `render_inert` made safe, as a block quote cut to fit a section."""
    quoted = "\n".join(f">{line}" for line in inert.splitlines() or [""])
    return quoted if len(quoted) <= SECTION_LIMIT else quoted[: SECTION_LIMIT - 1] + "…"


def _values(values: Sequence[str]) -> str:
    return "  ".join(f"`#{escape(v)}`" for v in values)


def recognition_post(
    giver_id: str, recipients: Sequence[str], message: str, values: Sequence[str], kudos_id: int
) -> Message:
    """The public post: who thanked whom, the message, the value tags."""
    headline = f":tada: <@{giver_id}> gave kudos to {_people(recipients)}"
    footer = [f"Kudos #{kudos_id}"]
    if values:
        footer.insert(0, _values(values))
    # Rendered once for the text and the quote: it is the costliest part of the post.
    inert = render_inert(message)
    return {
        "text": f"<@{giver_id}> gave kudos to {_people(recipients)}: {inert}",
        "blocks": [section(headline), section(_quoted(inert)), context(" · ".join(footer))],
    }


def recipient_note(giver_id: str, message: str, source: str, link: str | None) -> Message:
    """The DM to a person who was thanked, linking to the post when there is one."""
    where = f" (<{link}|see the post>)" if link else ""
    if source == "reaction":
        headline = f":raised_hands: <@{giver_id}> gave you kudos for your message{where}."
    elif source == "intro":
        # Given from a follow-up's one-click thanks: say what it is for.
        headline = f":handshake: <@{giver_id}> thanked you for an introduction{where}."
    else:
        headline = f":sparkles: <@{giver_id}> thanked you{where}."
    inert = render_inert(message)
    return {
        "text": f"<@{giver_id}> thanked you: {inert}",
        "blocks": [section(headline), section(_quoted(inert))],
    }


def withdrawn_post(kudos_id: int, *, revoked: bool) -> Message:
    """What a recognition post becomes once it is undone or revoked."""
    text = (
        f"_Kudos #{kudos_id} was removed by a workspace admin._"
        if revoked
        else f"_Kudos #{kudos_id} was withdrawn by the person who gave it._"
    )
    return {"text": text, "blocks": [section(text)]}


def withdrawn_note(giver_id: str, kudos_id: int, *, revoked: bool) -> Message:
    """What a recipient's note becomes once its kudos is undone or revoked."""
    text = (
        f"_The kudos <@{giver_id}> gave you (#{kudos_id}) was removed by a workspace admin._"
        if revoked
        else f"_<@{giver_id}> withdrew the kudos they gave you (#{kudos_id})._"
    )
    return {"text": text, "blocks": [section(text)]}


def left_today(remaining: int) -> str:
    """How many kudos the giver has left today, as a sentence."""
    if remaining <= 0:
        return "You have no kudos left today; more tomorrow."
    return f"You have {remaining} {'kudo' if remaining == 1 else 'kudos'} left today."


def confirmation(
    kudos_id: int, recipients: Sequence[str], remaining: int, *, not_here: bool = False
) -> Message:
    """The giver's confirmation: it worked, what is left, and an Undo button; `not_here` adds
    that the post cannot appear in this private channel until the bot is invited."""
    text = f":white_check_mark: Kudos to {_people(recipients)} are on their way. " + left_today(
        remaining
    )
    if not_here:
        text += NOT_HERE
    undo = button("Undo (10 min)", UNDO_ACTION, str(kudos_id))
    return {
        "text": text,
        "blocks": [section(text), {"type": "actions", "block_id": UNDO_ACTION, "elements": [undo]}],
    }


_REFUSALS = {
    RefusalReason.NO_RECIPIENT: "Who are you thanking? "
    "Mention them: `/kudos @teammate thanks for …`",
    RefusalReason.UNKNOWN_NAME: "I can't find anyone called @{0}. Pick them from Slack's @-menu "
    "so the mention is a real link: `/kudos @teammate thanks for …`",
    RefusalReason.AMBIGUOUS_NAME: "More than one person goes by @{0}. "
    "Pick the right one from Slack's @-menu.",
    RefusalReason.SELF: "Kudos are for thanking others, so you can't give them to yourself. "
    "Who helped you lately?",
    RefusalReason.BOT: "<@{0}> is a bot; kudos are for people. Thank the human behind it!",
    RefusalReason.DEACTIVATED: "<@{0}>'s account is deactivated, so they can't receive kudos.",
    RefusalReason.UNKNOWN_USER: "I don't know <@{0}> yet; try again in a moment.",
    RefusalReason.NO_MESSAGE: "Say what you're thanking them for: `/kudos @teammate thanks for …`",
    RefusalReason.TOO_LONG: "That message is longer than {limit} characters. "
    "Shorten it and try again.",
    RefusalReason.DAILY_LIMIT: "You've used your {limit} kudos for today; they renew at midnight "
    "your time. (Each person thanked counts as one.)",
    RefusalReason.LOCKED: "A workspace admin has paused your kudos. "
    "Ask them if you think that's a mistake.",
    RefusalReason.UNKNOWN_VALUE: "`#{0}` isn't one of this workspace's values. "
    "Use one of: {allowed}.",
}


def refusal_text(refused: Refused) -> str:
    """A friendly sentence saying why a kudos was not given and how to fix it."""
    template = _REFUSALS[refused.reason]
    subjects = [escape(s) for s in refused.subjects] or [""]
    allowed = ", ".join(f"`#{v}`" for v in refused.allowed)
    sentence = template.format(*subjects, limit=refused.limit, allowed=allowed)
    if refused.reason is RefusalReason.DAILY_LIMIT:
        return sentence
    return f"{sentence} {left_today(refused.remaining_today)}"


HELP = (
    "*Give kudos:* `/kudos @teammate [@another …] thanks for … [#value]`\n"
    "*Your numbers:* `/kudos stats`   *Most thanked:* `/kudos top`\n"
    "*Who helps whom:* `/kudos insights` (a sign-in link to the insights page, just for you)\n"
    "*Leaderboards:* `/kudos optout` / `/kudos optin`\n"
    "*Admins:* `/kudos revoke <number>`, `/kudos lock @person`, `/kudos unlock @person`, "
    "`/kudos settings` (the workspace's settings)\n"
    "`/kudos` alone opens a form."
)


def _input(block_id: str, label: str, element: dict[str, Any]) -> dict[str, Any]:
    """An input block of the form, labelled `label`, holding `element`."""
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element}


def modal(
    *,
    values: Sequence[str],
    private_metadata: dict[str, Any],
    recipients: Sequence[str] = (),
    message: str = "",
) -> dict[str, Any]:
    """The give-kudos modal: who, what for, and optionally which value."""
    people: dict[str, Any] = {
        "type": "multi_users_select",
        "action_id": "users",
        "placeholder": plain("Who are you thanking?"),
        "max_selected_items": 10,
    }
    if recipients:
        people["initial_users"] = list(recipients)
    text: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "text",
        "multiline": True,
        "max_length": 3000,
        "placeholder": plain("Thanks for … (be specific!)"),
    }
    if message:
        text["initial_value"] = message
    body = [_input(RECIPIENTS_BLOCK, "Thank", people), _input(MESSAGE_BLOCK, "For", text)]
    if values:
        options = [{"text": plain(f"#{v}"[:75]), "value": v} for v in values[:100]]
        choice = {"type": "static_select", "action_id": VALUE_BLOCK, "options": options}
        body.append({**_input(VALUE_BLOCK, "Value", choice), "optional": True})
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "title": plain("Give kudos"),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "private_metadata": json.dumps(private_metadata),
        "blocks": body,
    }


def stats_text(
    given_week: int,
    given_all: int,
    received_week: int,
    received_all: int,
    top_values: Sequence[tuple[str, int]],
    remaining: int,
) -> str:
    """The ephemeral `/kudos stats` answer."""
    lines = [
        "*Your kudos*",
        f"• Given: {given_week} this week, {given_all} in all",
        f"• Received: {received_week} this week, {received_all} in all",
    ]
    if top_values:
        lines.append("• Your top values: " + ", ".join(f"`#{v}` ({n})" for v, n in top_values))
    lines.append(left_today(remaining))
    return "\n".join(lines)


def leaderboard_text(title: str, rows: Sequence[tuple[str, int, int]]) -> str:
    """One ranked list of (name, distinct givers, kudos received), naming without pinging."""
    if not rows:
        return f"*{title}*\nNo kudos yet. Be the first: `/kudos @teammate thanks for …`"
    lines = [f"*{title}*"]
    for rank, (name, people, total) in enumerate(rows, start=1):
        thanked_by = "1 person" if people == 1 else f"{people} people"
        # The count says something only when someone thanked more than once (then it is >= 2).
        extra = f" ({total} kudos)" if total != people else ""
        lines.append(f"{rank}. {escape(name)}: thanked by {thanked_by}{extra}")
    return "\n".join(lines)
