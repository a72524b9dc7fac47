"""The workspace settings form: the modal, what a submission means, and saving it.

Pure Block Kit in and out, no Bolt: `settings_modal` draws the form prefilled from a workspace,
`read_submission` turns Slack's `view.state.values` into a validated `SettingsChange` (or errors
keyed by block id, which Slack shows beside each field), and `apply` writes a change. Every block
id is the `Workspace` column it edits.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from app.store.models import Workspace

CALLBACK = "workspace.settings"
TITLE = "Workspace settings"
# Every input's element has this action id; the block id says which setting it is.
ACTION = "value"
NOT_ADMIN = "Only workspace admins can change settings; ask one of them."

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
REPLY_MODES = {
    "channel": "In the channel where it was given",
    "kudos_channel": "Only in the kudos channel",
    "both": "Both",
}
# The give-kudos form lists the values in one static_select, which holds at most 100 options.
MAX_VALUES = 100
# What `/kudos … #value` can parse (app/slackapi/mrkdwn.py), so every value can also be typed.
_VALUE = re.compile(r"[a-z0-9_-]{1,40}")
# Slack's emoji names: lowercase letters, digits and `_ - + '`; the column holds 100 characters.
_EMOJI = re.compile(r"[a-z0-9_+'-]{1,100}")
# A public (C…) or private (C… or G…) channel id, as a conversations_select returns them.
_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,31}")

# Inclusive bounds and unit of each number setting: the form's min/max and the check on
# submission both come from here, so they cannot disagree.
NUMBERS: dict[str, tuple[int, int, str]] = {
    "digest_grace_hours": (1, 168, "hours"),
    "matches_per_ask": (1, 10, "people"),
    "expert_daily_cap": (1, 50, "asks"),
    "nudge_first_hours": (1, 500, "hours"),
    "nudge_second_hours": (1, 500, "hours"),
    "nudge_last_hours": (1, 500, "hours"),
    "stale_after_days": (1, 60, "days"),
    "follow_up_hours": (1, 240, "hours"),
    "kudos_daily_limit": (1, 100, "kudos"),
    "kudos_max_length": (50, 3000, "characters"),
    "offer_confirm_days": (7, 365, "days"),
    "offer_grace_days": (1, 90, "days"),
}


@dataclass(frozen=True)
class SettingsChange:
    """Validated new values for every setting the form covers, named as `Workspace` columns."""

    digest_channel_id: str | None
    digest_weekday: int
    digest_hour: int
    timezone: str
    digest_when_quiet: bool
    digest_grace_hours: int
    asks_channel_id: str | None
    matches_per_ask: int
    expert_daily_cap: int
    share_private_asks: bool
    nudges_enabled: bool
    work_days: tuple[int, ...]
    work_start_hour: int
    work_end_hour: int
    nudge_first_hours: int
    nudge_second_hours: int
    nudge_last_hours: int
    stale_after_days: int
    follow_up_hours: int
    kudos_daily_limit: int
    kudos_max_length: int
    kudos_reply_mode: str
    kudos_channel_id: str | None
    kudos_values: tuple[str, ...]
    reaction_emoji: str | None
    offer_confirm_days: int
    offer_grace_days: int


def apply(session: Session, team_id: str, change: SettingsChange) -> None:
    """Write every value of `change` to workspace `team_id`, in the caller's transaction."""
    workspace = session.get_one(Workspace, team_id)
    for item in fields(change):
        value = getattr(change, item.name)
        # JSON columns hold lists; a fresh list also tells SQLAlchemy the column changed.
        setattr(workspace, item.name, list(value) if isinstance(value, tuple) else value)


# -- the modal ------------------------------------------------------------------------------


def settings_modal(workspace: Workspace) -> dict[str, Any]:
    """The settings modal for `workspace`, every field prefilled with its current value."""
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": _plain(TITLE),
        "submit": _plain("Save"),
        "close": _plain("Cancel"),
        "blocks": [
            *_digest_blocks(workspace),
            *_ask_blocks(workspace),
            *_nudge_blocks(workspace),
            *_kudos_blocks(workspace),
            *_offer_blocks(workspace),
        ],
    }


def refused_modal() -> dict[str, Any]:
    """What the form turns into when someone who is not an admin submits it."""
    return {
        "type": "modal",
        "title": _plain(TITLE),
        "close": _plain("Close"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": NOT_ADMIN}}],
    }


def _digest_blocks(w: Workspace) -> list[dict[str, Any]]:
    return [
        _header("Weekly digest"),
        _channel(
            "digest_channel_id",
            "Digest channel",
            w.digest_channel_id,
            "Where the weekly digest is posted. Empty: the kudos channel, else no digest.",
        ),
        _select("digest_weekday", "Day", _weekday_options(), str(w.digest_weekday)),
        _select("digest_hour", "Hour", _hour_options(range(24)), str(w.digest_hour)),
        _text(
            "timezone",
            "Time zone",
            w.timezone,
            "The IANA time zone the digest day and hour are in, such as Europe/Berlin.",
            max_length=64,
        ),
        _flag("digest_when_quiet", "Quiet weeks", "Post a digest even when nothing happened", w),
        _number(
            "digest_grace_hours",
            "Late digests",
            w,
            "Hours after its time a missed digest (the bot was down) is still posted.",
        ),
    ]


def _ask_blocks(w: Workspace) -> list[dict[str, Any]]:
    return [
        _header("Asks"),
        _channel(
            "asks_channel_id",
            "Asks channel",
            w.asks_channel_id,
            "Where /ask posts go. Empty: the channel the ask was typed in.",
        ),
        _number("matches_per_ask", "People matched to each ask", w),
        _number("expert_daily_cap", "Asks one person is sent per day, at most", w),
        _flag(
            "share_private_asks",
            "Private asks",
            "Show the text of asks from private channels to the people matched",
            w,
        ),
    ]


def _nudge_blocks(w: Workspace) -> list[dict[str, Any]]:
    return [
        _header("Nudges for unanswered asks"),
        _flag("nudges_enabled", "Nudges", "Nudge unanswered asks", w),
        _checkboxes(
            "work_days",
            "Working days",
            [(str(day), name) for day, name in enumerate(WEEKDAYS)],
            {str(day) for day in w.work_days},
        ),
        _select(
            "work_start_hour",
            "Working day starts",
            _hour_options(range(24)),
            str(w.work_start_hour),
        ),
        _select(
            "work_end_hour", "Working day ends", _hour_options(range(1, 25)), str(w.work_end_hour)
        ),
        _number("nudge_first_hours", "First nudge after (working hours)", w),
        _number("nudge_second_hours", "Second nudge after (working hours)", w),
        _number("nudge_last_hours", "Last nudge after (working hours)", w),
        _number(
            "stale_after_days",
            "Close as stale after (days)",
            w,
            "Days the asker has to answer the last nudge before the ask is closed.",
        ),
        _number(
            "follow_up_hours",
            "Follow up after (hours)",
            w,
            "Hours after the first answer before the asker is asked whether it helped.",
        ),
    ]


def _kudos_blocks(w: Workspace) -> list[dict[str, Any]]:
    return [
        _header("Kudos"),
        _number("kudos_daily_limit", "Kudos a person may give per day", w),
        _number("kudos_max_length", "Longest kudos message (characters)", w),
        _select(
            "kudos_reply_mode",
            "Where kudos are posted",
            list(REPLY_MODES.items()),
            w.kudos_reply_mode,
        ),
        _channel(
            "kudos_channel_id",
            "Kudos channel",
            w.kudos_channel_id,
            "A channel that collects kudos posts; needed unless kudos are posted only "
            "where they were given.",
        ),
        _text(
            "kudos_values",
            "Values",
            ", ".join(w.kudos_values),
            "Words a kudos can be tagged with, separated by commas, e.g. teamwork, craft. "
            "Empty: any tag.",
            max_length=3000,
            optional=True,
        ),
        _text(
            "reaction_emoji",
            "Kudos reaction",
            (w.reaction_emoji or "").strip(":"),
            "An emoji name such as raised_hands: reacting with it gives the author a kudos. "
            "Empty: reactions give nothing.",
            max_length=102,
            optional=True,
        ),
    ]


def _offer_blocks(w: Workspace) -> list[dict[str, Any]]:
    return [
        _header("Offers"),
        _number(
            "offer_confirm_days",
            "Ask to confirm offers after (days)",
            w,
            "Days after which people are asked whether their offer still stands.",
        ),
        _number(
            "offer_grace_days",
            "Grace for unconfirmed offers (days)",
            w,
            "Days an offer still brings asks after its check went unanswered.",
        ),
    ]


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": _plain(text)}


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    hint: str | None = None,
    *,
    optional: bool = False,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {"action_id": ACTION, **element},
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _number(block_id: str, label: str, w: Workspace, hint: str | None = None) -> dict[str, Any]:
    low, high, _ = NUMBERS[block_id]
    # Slack refuses a view whose initial value lies outside min/max; an odd stored value is
    # shown clamped rather than breaking the form.
    current = min(max(int(getattr(w, block_id)), low), high)
    element = {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": str(low),
        "max_value": str(high),
        "initial_value": str(current),
    }
    return _input(block_id, label, element, hint)


def _select(
    block_id: str, label: str, options: list[tuple[str, str]], current: str
) -> dict[str, Any]:
    drawn = [_option(value, text) for value, text in options]
    element: dict[str, Any] = {"type": "static_select", "options": drawn}
    # initial_option must be one of the options exactly; an unknown stored value shows unset.
    chosen = [option for option in drawn if option["value"] == current]
    if chosen:
        element["initial_option"] = chosen[0]
    return _input(block_id, label, element)


def _checkboxes(
    block_id: str,
    label: str,
    options: list[tuple[str, str]],
    checked: Collection[str],
) -> dict[str, Any]:
    drawn = [_option(value, text) for value, text in options]
    element: dict[str, Any] = {"type": "checkboxes", "options": drawn}
    initial = [option for option in drawn if option["value"] in checked]
    # Slack rejects an empty initial_options: nothing ticked means leaving the field out.
    if initial:
        element["initial_options"] = initial
    # Optional so that unticking everything is a submission we can answer with our own message.
    return _input(block_id, label, element, optional=True)


def _flag(block_id: str, label: str, text: str, w: Workspace) -> dict[str, Any]:
    return _checkboxes(block_id, label, [("on", text)], {"on"} if getattr(w, block_id) else ())


def _channel(block_id: str, label: str, current: str | None, hint: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "conversations_select",
        "placeholder": _plain("Pick a channel"),
        "filter": {"include": ["public", "private"]},
    }
    if current:
        element["initial_conversation"] = current
    return _input(block_id, label, element, hint, optional=True)


def _text(
    block_id: str,
    label: str,
    current: str,
    hint: str,
    *,
    max_length: int,
    optional: bool = False,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": max_length}
    if current:
        element["initial_value"] = current
    return _input(block_id, label, element, hint, optional=optional)


def _weekday_options() -> list[tuple[str, str]]:
    return [(str(day), name) for day, name in enumerate(WEEKDAYS)]


def _hour_options(hours: range) -> list[tuple[str, str]]:
    return [(str(hour), "24:00 (midnight)" if hour == 24 else f"{hour:02d}:00") for hour in hours]


# -- reading a submission -------------------------------------------------------------------


class _Reader:
    """Reads one field at a time from `view.state.values`, collecting errors by block id."""

    def __init__(self, state_values: Mapping[str, Any]) -> None:
        self.values = state_values
        self.errors: dict[str, str] = {}

    def fail(self, block_id: str, message: str) -> None:
        # The first problem found in a field is the one worth showing.
        self.errors.setdefault(block_id, message)

    def state(self, block_id: str) -> Mapping[str, Any]:
        block = self.values.get(block_id)
        action = block.get(ACTION) if isinstance(block, Mapping) else None
        return action if isinstance(action, Mapping) else {}

    def text(self, block_id: str) -> str:
        value = self.state(block_id).get("value")
        return value.strip() if isinstance(value, str) else ""

    def number(self, block_id: str) -> int:
        low, high, unit = NUMBERS[block_id]
        text = self.text(block_id)
        wanted = f"enter a whole number of {unit} from {low} to {high}."
        if not re.fullmatch(r"-?[0-9]{1,18}", text):
            problem = f"“{text[:20]}” is not a whole number: " if text else ""
            self.fail(block_id, problem + wanted if problem else wanted.capitalize())
            return low
        number = int(text)
        if not low <= number <= high:
            self.fail(block_id, f"{number} is out of range: {wanted}")
            return low
        return number

    def option(self, block_id: str, allowed: Collection[str]) -> str:
        selected = self.state(block_id).get("selected_option")
        value = selected.get("value") if isinstance(selected, Mapping) else None
        if value not in allowed:
            self.fail(block_id, "Pick one of the choices in the list.")
            return next(iter(allowed))
        return str(value)

    def ticked(self, block_id: str) -> list[str]:
        selected = self.state(block_id).get("selected_options")
        if not isinstance(selected, list):
            return []
        return [str(o.get("value")) for o in selected if isinstance(o, Mapping)]

    def flag(self, block_id: str) -> bool:
        return "on" in self.ticked(block_id)

    def channel(self, block_id: str) -> str | None:
        state = self.state(block_id)
        # conversations_select answers selected_conversation; a channels_select, selected_channel.
        chosen = state.get("selected_conversation") or state.get("selected_channel")
        if chosen is None or chosen == "":
            return None
        if not isinstance(chosen, str) or not _CHANNEL.fullmatch(chosen):
            self.fail(block_id, "Pick a channel from the list, or clear the field.")
            return None
        return chosen


def read_submission(state_values: Mapping[str, Any]) -> SettingsChange | dict[str, str]:
    """The validated settings in a submitted form, or a message per invalid field by block id."""
    read = _Reader(state_values)
    change = SettingsChange(
        digest_channel_id=read.channel("digest_channel_id"),
        digest_weekday=int(read.option("digest_weekday", _values(_weekday_options()))),
        digest_hour=int(read.option("digest_hour", _values(_hour_options(range(24))))),
        timezone=_timezone(read),
        digest_when_quiet=read.flag("digest_when_quiet"),
        digest_grace_hours=read.number("digest_grace_hours"),
        asks_channel_id=read.channel("asks_channel_id"),
        matches_per_ask=read.number("matches_per_ask"),
        expert_daily_cap=read.number("expert_daily_cap"),
        share_private_asks=read.flag("share_private_asks"),
        nudges_enabled=read.flag("nudges_enabled"),
        work_days=_work_days(read),
        work_start_hour=int(read.option("work_start_hour", _values(_hour_options(range(24))))),
        work_end_hour=int(read.option("work_end_hour", _values(_hour_options(range(1, 25))))),
        nudge_first_hours=read.number("nudge_first_hours"),
        nudge_second_hours=read.number("nudge_second_hours"),
        nudge_last_hours=read.number("nudge_last_hours"),
        stale_after_days=read.number("stale_after_days"),
        follow_up_hours=read.number("follow_up_hours"),
        kudos_daily_limit=read.number("kudos_daily_limit"),
        kudos_max_length=read.number("kudos_max_length"),
        kudos_reply_mode=read.option("kudos_reply_mode", REPLY_MODES),
        kudos_channel_id=read.channel("kudos_channel_id"),
        kudos_values=_kudos_values(read),
        reaction_emoji=_reaction_emoji(read),
        offer_confirm_days=read.number("offer_confirm_days"),
        offer_grace_days=read.number("offer_grace_days"),
    )
    _check_together(read, change)
    return read.errors or change


def _values(options: list[tuple[str, str]]) -> list[str]:
    return [value for value, _ in options]


def _timezone(read: _Reader) -> str:
    name = read.text("timezone")
    if not name:
        read.fail("timezone", "Enter a time zone. Use an IANA time zone such as Europe/Berlin.")
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        read.fail(
            "timezone",
            f"“{name[:40]}” is not a time zone I know. Use an IANA time zone such as "
            "Europe/Berlin or America/New_York.",
        )
        return "UTC"
    return name


def _work_days(read: _Reader) -> tuple[int, ...]:
    ticked = read.ticked("work_days")
    days = sorted({int(value) for value in ticked if value in _values(_weekday_options())})
    if not days or len(days) != len(set(ticked)):
        read.fail("work_days", "Tick at least one working day; nudges wait for working hours.")
    return tuple(days)


def _kudos_values(read: _Reader) -> tuple[str, ...]:
    # "#Teamwork, craft" → ("teamwork", "craft"): people type values as they tag them.
    words = [word.strip().lstrip("#").lower() for word in read.text("kudos_values").split(",")]
    words = [word for word in words if word]
    bad = [word for word in words if not _VALUE.fullmatch(word)]
    if bad:
        read.fail(
            "kudos_values",
            f"“{bad[0][:40]}” can't be a value: use single words of letters, digits, - or _ "
            "(up to 40 characters), separated by commas, e.g. teamwork, craft.",
        )
    unique = tuple(dict.fromkeys(words))
    if len(unique) > MAX_VALUES:
        read.fail("kudos_values", f"Use at most {MAX_VALUES} values; you listed {len(unique)}.")
    return unique


def _reaction_emoji(read: _Reader) -> str | None:
    # Stored without colons; ":raised_hands:" and "raised_hands" mean the same emoji.
    name = read.text("reaction_emoji").strip(":").strip().lower()
    if not name:
        return None
    if not _EMOJI.fullmatch(name):
        read.fail(
            "reaction_emoji",
            "Type one emoji name such as raised_hands (colons optional), "
            "or leave it empty so reactions give no kudos.",
        )
        return None
    return name


def _check_together(read: _Reader, change: SettingsChange) -> None:
    # Only fields that were valid on their own are compared, so no error is about a stand-in
    # value; a field failing a comparison is still compared with the next one.
    invalid = set(read.errors)

    def comparable(*block_ids: str) -> bool:
        return invalid.isdisjoint(block_ids)

    if comparable("work_start_hour", "work_end_hour") and (
        change.work_end_hour <= change.work_start_hour
    ):
        read.fail(
            "work_end_hour",
            f"The working day must end after it starts ({change.work_start_hour:02d}:00): "
            "pick a later hour.",
        )
    rounds = ("nudge_first_hours", "nudge_second_hours", "nudge_last_hours")
    for before, after in pairwise(rounds):
        earlier, later = getattr(change, before), getattr(change, after)
        if comparable(before, after) and later <= earlier:
            read.fail(
                after,
                f"Must be more than the nudge before it ({earlier} hours): "
                "each nudge comes later than the one before.",
            )
    if (
        change.kudos_reply_mode != "channel"
        and change.kudos_channel_id is None
        and comparable("kudos_reply_mode", "kudos_channel_id")
    ):
        read.fail(
            "kudos_channel_id",
            "Pick a kudos channel, or post kudos only in the channel where they were given.",
        )
