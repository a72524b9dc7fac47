"""The workspaces of a load, their people and channels, and the Slack stand-in that holds them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.offers.topics import normalize
from app.sandbox.answers import Answer, error_answer
from app.sandbox.paging import members_page
from app.sandbox.slack_api import SlackStandIn
from app.sandbox.workspace import SlackError

# The emoji an admin of every workspace chose for kudos by reaction.
REACTION = "raised_hands"
CHANNELS_PER_WORKSPACE = 5
# Normalised already, so a row's topic is the one the request named.
TOPICS = tuple(
    normalize(topic)
    for topic in (
        "kubernetes",
        "postgresql",
        "python",
        "terraform",
        "react",
        "security",
        "design",
        "observability",
        "networking",
        "billing",
        "testing",
        "accessibility",
    )
)


class TeamScopedStandIn(SlackStandIn):
    """The stand-in, with `users.list` listing and paging only the calling token's workspace, as
    Slack's does.

    The plain stand-in lists every person it knows, which is fine for one or two teams but not for
    50 workspaces of 100 people: paging the whole list to find one team's people took each sync
    up to 76 Tier 2 calls (the later teams' people come last), about three minutes of Retry-After.
    """

    def handle_api(self, method: str, args: dict[str, Any], token: str | None) -> Answer:
        """Answer like the stand-in; for `users.list`, page the caller's own workspace."""
        if method != "users.list":
            return super().handle_api(method, args, token)
        # One call as the stand-in answers it (faults, scopes and the Tier 2 limit spent once),
        # for everyone at once; then the page the arguments ask for out of this team's people.
        everyone = {k: v for k, v in args.items() if k not in ("limit", "cursor")}
        answer = super().handle_api(method, everyone, token)
        if answer.status != 200 or not answer.body.get("ok"):
            return answer
        team = super().handle_api("auth.test", {}, token).body.get("team_id")
        own = [m for m in answer.body.get("members") or [] if m.get("team_id") == team]
        try:
            page = members_page(own, args)
        except SlackError as exc:
            return error_answer(exc)
        return Answer(200, {**answer.body, **page})


@dataclass(frozen=True)
class Team:
    """One workspace of the load: its people (the first is the admin who installs) and channels."""

    team_id: str
    name: str
    bot_user_id: str
    users: tuple[str, ...]
    channels: tuple[str, ...]


@dataclass(frozen=True)
class AskThread:
    """An ask's post, whose thread the load replies in."""

    team_id: str
    channel: str
    ts: str
    asker: str


def layout(workspaces: int, users: int) -> list[Team]:
    """The workspaces of a load: ids unique across all of them, as Slack's are."""
    return [
        Team(
            team_id=f"TL{w:03d}",
            name=f"Load{w:03d}",
            bot_user_id=f"UB{w:03d}",
            users=tuple(f"U{w:03d}P{u:03d}" for u in range(users)),
            channels=tuple(f"C{w:03d}N{c}" for c in range(CHANNELS_PER_WORKSPACE)),
        )
        for w in range(workspaces)
    ]


def user_name(user_id: str) -> str:
    """The handle the stand-in's directory gives `user_id`."""
    return "p" + user_id[1:].lower()
