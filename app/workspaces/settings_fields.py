"""Every field of the workspace settings form, once: its section, label, hint, kind of input and
how it is checked. The block id of each field is the `Workspace` attribute it sets, so adding a
setting to the form is adding one `Field` here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.slackapi.blockkit import plain
from app.store.models import Workspace
from app.workspaces.form_kinds import (
    ACTION,
    Channel,
    Choice,
    Flag,
    Invalid,
    Kind,
    Number,
    Text,
    Ticks,
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
REPLY_MODES = (
    ("channel", "In the channel where it was given"),
    ("kudos_channel", "Only in the kudos channel"),
    ("both", "Both"),
)
# The give-kudos form lists the values in one static_select, which holds at most 100 options.
MAX_VALUES = 100
# What `/kudos … #value` can parse (app/slackapi/mrkdwn.py), so every value can also be typed.
_VALUE = re.compile(r"[a-z0-9_-]{1,40}")
# Slack's emoji names: lowercase letters, digits and `_ - + '`; the column holds 100 characters.
_EMOJI = re.compile(r"[a-z0-9_+'-]{1,100}")

_DAYS = tuple((str(day), name) for day, name in enumerate(WEEKDAYS))


def _hours(hours: range) -> tuple[tuple[str, str], ...]:
    return tuple((str(h), "24:00 (midnight)" if h == 24 else f"{h:02d}:00") for h in hours)


def _timezone(name: str) -> str:
    if not name:
        raise Invalid("Enter a time zone. Use an IANA time zone such as Europe/Berlin.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            f"“{name[:40]}” is not a time zone I know. Use an IANA time zone such as "
            "Europe/Berlin or America/New_York."
        ) from None
    return name


def _work_days(ticked: list[str]) -> tuple[int, ...]:
    days = sorted({int(value) for value in ticked if value in dict(_DAYS)})
    if not days or len(days) != len(set(ticked)):
        raise Invalid("Tick at least one working day; nudges wait for working hours.")
    return tuple(days)


def _kudos_values(text: str) -> tuple[str, ...]:
    # "#Teamwork, craft" → ("teamwork", "craft"): people type values as they tag them.
    words = [word.strip().lstrip("#").lower() for word in text.split(",")]
    words = [word for word in words if word]
    bad = [word for word in words if not _VALUE.fullmatch(word)]
    if bad:
        raise Invalid(
            f"“{bad[0][:40]}” can't be a value: use single words of letters, digits, - or _ "
            "(up to 40 characters), separated by commas, e.g. teamwork, craft."
        )
    unique = tuple(dict.fromkeys(words))
    if len(unique) > MAX_VALUES:
        raise Invalid(f"Use at most {MAX_VALUES} values; you listed {len(unique)}.")
    return unique


def _reaction_emoji(text: str) -> str | None:
    # Stored without colons; ":raised_hands:" and "raised_hands" mean the same emoji.
    name = text.strip(":").strip().lower()
    if not name:
        return None
    if not _EMOJI.fullmatch(name):
        raise Invalid(
            "Type one emoji name such as raised_hands (colons optional), "
            "or leave it empty so reactions give no kudos."
        )
    return name


@dataclass(frozen=True)
class Field:
    """One setting on the form: `name` is both its block id and the `Workspace` attribute."""

    name: str
    label: str
    kind: Kind
    hint: str | None = None

    def block(self, workspace: Workspace) -> dict[str, Any]:
        """The input block showing this setting's current value in `workspace`."""
        block: dict[str, Any] = {
            "type": "input",
            "block_id": self.name,
            "label": plain(self.label),
            "element": {"action_id": ACTION, **self.kind.element(getattr(workspace, self.name))},
            "optional": self.kind.optional,
        }
        if self.hint:
            block["hint"] = plain(self.hint)
        return block

    def read(self, values: Mapping[str, Any]) -> Any:
        """This setting's new value from a submission's `view.state.values`; raises `Invalid`."""
        block = values.get(self.name)
        state = block.get(ACTION) if isinstance(block, Mapping) else None
        return self.kind.read(state if isinstance(state, Mapping) else {})


@dataclass(frozen=True)
class Section:
    """A header and the fields under it."""

    header: str
    fields: tuple[Field, ...]


_HOURS = Choice(_hours(range(24)), int)
# Each round of nudges comes this many working hours after the ask.
_ROUND = Number(1, 500, "hours")

SECTIONS = (
    Section(
        "Weekly digest",
        (
            Field(
                "digest_channel_id",
                "Digest channel",
                Channel(),
                "Where the weekly digest is posted. Empty: the kudos channel, else no digest.",
            ),
            Field("digest_weekday", "Day", Choice(_DAYS, int)),
            Field("digest_hour", "Hour", _HOURS),
            Field(
                "timezone",
                "Time zone",
                Text(64, _timezone),
                "The IANA time zone the digest day and hour are in, such as Europe/Berlin.",
            ),
            Field(
                "digest_when_quiet", "Quiet weeks", Flag("Post a digest even when nothing happened")
            ),
            Field(
                "digest_picture",
                "Help-network picture",
                Flag("Show who helped whom as a picture in the digest"),
                "A picture of the week's help, uploaded after the digest post.",
            ),
            Field(
                "digest_grace_hours",
                "Late digests",
                Number(1, 168, "hours"),
                "Hours after its time a missed digest (the bot was down) is still posted.",
            ),
        ),
    ),
    Section(
        "Asks",
        (
            Field(
                "asks_channel_id",
                "Asks channel",
                Channel(),
                "Where /ask posts go. Empty: the channel the ask was typed in.",
            ),
            Field("matches_per_ask", "People matched to each ask", Number(1, 10, "people")),
            Field(
                "expert_daily_cap",
                "Asks one person is sent per day, at most",
                Number(1, 50, "asks"),
            ),
            Field(
                "share_private_asks",
                "Private asks",
                Flag("Show the text of asks from private channels to the people matched"),
            ),
        ),
    ),
    Section(
        "Nudges for unanswered asks",
        (
            Field("nudges_enabled", "Nudges", Flag("Nudge unanswered asks")),
            Field(
                "work_days",
                "Working days",
                Ticks(_DAYS, _work_days, lambda days: {str(day) for day in days}),
            ),
            Field("work_start_hour", "Working day starts", _HOURS),
            Field("work_end_hour", "Working day ends", Choice(_hours(range(1, 25)), int)),
            Field("nudge_first_hours", "First nudge after (working hours)", _ROUND),
            Field("nudge_second_hours", "Second nudge after (working hours)", _ROUND),
            Field("nudge_last_hours", "Last nudge after (working hours)", _ROUND),
            Field(
                "stale_after_days",
                "Close as stale after (days)",
                Number(1, 60, "days"),
                "Days the asker has to answer the last nudge before the ask is closed.",
            ),
            Field(
                "follow_up_hours",
                "Follow up after (hours)",
                Number(1, 240, "hours"),
                "Hours after the first answer before the asker is asked whether it helped.",
            ),
        ),
    ),
    Section(
        "Kudos",
        (
            Field("kudos_daily_limit", "Kudos a person may give per day", Number(1, 100, "kudos")),
            Field(
                "kudos_max_length",
                "Longest kudos message (characters)",
                Number(50, 3000, "characters"),
            ),
            Field("kudos_reply_mode", "Where kudos are posted", Choice(REPLY_MODES)),
            Field(
                "kudos_channel_id",
                "Kudos channel",
                Channel(),
                "A channel that collects kudos posts; needed unless kudos are posted only "
                "where they were given.",
            ),
            Field(
                "kudos_values",
                "Values",
                Text(3000, _kudos_values, ", ".join, optional=True),
                "Words a kudos can be tagged with, separated by commas, e.g. teamwork, craft. "
                "Empty: any tag.",
            ),
            Field(
                "reaction_emoji",
                "Kudos reaction",
                Text(102, _reaction_emoji, lambda name: (name or "").strip(":"), optional=True),
                "An emoji name such as raised_hands: reacting with it gives the author a kudos. "
                "Empty: reactions give nothing.",
            ),
        ),
    ),
    Section(
        "Offers",
        (
            Field(
                "offer_confirm_days",
                "Ask to confirm offers after (days)",
                Number(7, 365, "days"),
                "Days after which people are asked whether their offer still stands.",
            ),
            Field(
                "offer_grace_days",
                "Grace for unconfirmed offers (days)",
                Number(1, 90, "days"),
                "Days an offer still brings asks after its check went unanswered.",
            ),
        ),
    ),
    Section(
        "Introductions",
        (
            Field(
                "intro_expiry_days",
                "Introduction requests expire after (days)",
                Number(1, 60, "days"),
                "Days both people have to say yes before the request is withdrawn.",
            ),
            Field(
                "intro_daily_limit",
                "Introductions a person may make per day",
                Number(1, 50, "introductions"),
            ),
            Field(
                "intro_suggestions",
                "Suggested introductions",
                Flag("Suggest introductions people could make (at most one a week each)"),
            ),
        ),
    ),
)

FIELDS = tuple(field for section in SECTIONS for field in section.fields)
