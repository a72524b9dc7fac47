"""The demo's running bot: the real bot with a made-up team against the built-in Slack stand-in,
a throwaway SQLite file, and how what Slack would show is printed (app/sandbox/demo.py)."""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from app.clock import OffsetClock
from app.console import message_text, mrkdwn_text, view_text
from app.sandbox.answers import Call
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.settings import Settings
from app.store.db import transaction
from app.store.models import Workspace

TEAM = "T0DEMO"
TOKEN = "xoxb-demo-token"  # noqa: S105 - the stand-in's made-up token
SECRET = "demosecret"  # noqa: S105 - signs requests between the demo and its own bot
ZONE = "America/New_York"
# Monday 23 November 2026, 09:30 in New York.
START = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
PEOPLE = {"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL", "dave": "U0DAVE"}
SHOWN = ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url", "views.open")


@dataclass
class Demo:
    """The running bot, its stand-in and clock, and what has been printed so far."""

    bot: BotServer
    slack: SlackStandIn
    driver: SlackDriver
    clock: OffsetClock
    out: TextIO
    seen: int = 0

    def name(self, user_id: str) -> str:
        """A person's @name."""
        return self.names.get(user_id, user_id)

    @property
    def names(self) -> dict[str, str]:
        """Every person's and channel's name by id, as Slack shows them."""
        people = {
            user_id: str((user.get("profile") or {}).get("display_name") or user.get("name"))
            for user_id, user in self.slack.users.items()
        }
        return people | {channel_id: c.name for channel_id, c in self.slack.channels.items()}

    def readable(self, text: str) -> str:
        """mrkdwn as the console shows it (app/console.py)."""
        return mrkdwn_text(text, self.names, ansi=self.ansi)

    def command(self, user: str, text: str) -> str | None:
        """Send a slash command (`/kudos …`) as `user`; return the reply only they see, already
        readable, or None when the bot has no such command."""
        name, _, rest = text.partition(" ")
        escaped = re.sub(
            r"@([A-Za-z]+)",
            lambda m: (
                f"<@{PEOPLE[m[1].lower()]}|{m[1].lower()}>" if m[1].lower() in PEOPLE else m[0]
            ),
            rest,
        )
        response = self.driver.command(
            command=name,
            text=escaped,
            user_id=PEOPLE[user],
            channel_id="C0GENERAL",
            team_id=TEAM,
            response_url=self.slack.new_response_url(),
            trigger_id=self.slack.issue_trigger_id(),
        )
        if response.status_code == 404:
            return None
        if not response.content:
            return ""
        if response.headers.get("content-type", "").startswith("application/json"):
            return message_text(response.json(), self.names, ansi=self.ansi)
        return self.readable(response.text)

    def settle(self) -> None:
        """Let the bot deliver what it owes, then print every new message."""
        self.bot.runtime.doorbell.set()
        self.bot.worker.drain(10)
        calls = self.slack.calls[self.seen :]
        self.seen = len(self.slack.calls)
        for call in calls:
            if call.method in SHOWN and call.ok:
                print(self.render(call), file=self.out)

    def render(self, call: Call) -> str:
        """One message (or form) as Slack would show it, under a line saying where."""
        args = call.args
        if call.method == "views.open":
            where = "  A form opens:"
            body = view_text(args.get("view") or {}, self.names, ansi=self.ansi)
        else:
            where = self.where(call.method, args)
            body = message_text(args, self.names, ansi=self.ansi)
        return where + "\n" + indent(body)

    def where(self, method: str, args: dict[str, Any]) -> str:
        """Where a message appears, and to whom."""
        channel = str(args.get("channel") or "")
        if method == "response_url":
            return "  (only visible to you)"
        if method == "chat.postEphemeral":
            return f"  (only visible to @{self.name(str(args.get('user')))}) in #general"
        updated = " (updated)" if method == "chat.update" else ""
        person = self.dm_with(channel)
        if person:
            return f"  DM to @{self.name(person)}{updated}"
        group = self.group_dms().get(channel)
        if group:
            names = [f"@{self.name(user)}" for user in group]
            return f"  Group DM of {', '.join(names[:-1])} and {names[-1]}{updated}"
        place = "#" + self.names.get(channel, channel)
        if args.get("thread_ts"):
            return f"  {place}, in the thread"
        return f"  {place}{updated}"

    def dm_with(self, channel: str) -> str | None:
        """The person whose DM with the bot `channel` is (their user id, as a message to them
        names it, or the DM's own id, as an edit does), or None."""
        if channel in self.slack.users:
            return channel
        conversation = self.slack.channels.get(channel)
        return conversation.user if conversation is not None and conversation.is_im else None

    def group_dms(self) -> dict[str, list[str]]:
        """The group DMs the bot opened so far (`conversations.open` with several people): who
        is in each, by channel id."""
        return {
            str(call.response["channel"]["id"]): str(call.args["users"]).split(",")
            for call in self.slack.calls
            if call.method == "conversations.open"
            and call.ok
            and "," in str(call.args.get("users") or "")
        }

    @property
    def ansi(self) -> bool:
        """Whether the output is a terminal, which shows bold as bold."""
        return self.out.isatty()


def indent(text: str) -> str:
    """`text` indented under its "where" line, without trailing blanks."""
    return "\n".join(("    " + line).rstrip() for line in text.strip().splitlines() or [""])


@contextmanager
def running(out: TextIO) -> Iterator[Demo]:
    """Start the stand-in and the real bot with a made-up team and a throwaway SQLite file;
    stop both and delete the file afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        with SlackStandIn(team_id=TEAM, team_name="Demo", bot_token=TOKEN) as slack:
            for name, user_id in PEOPLE.items():
                slack.add_user(user_id, name, tz=ZONE, is_admin=name == "alice")
            # Someone invited the bot to #general when the app was installed.
            slack.add_channel("C0GENERAL", "general", bot_is_member=True)
            clock = OffsetClock(START)
            settings = Settings(
                database_url=url,
                slack_bot_token=TOKEN,
                slack_signing_secret=SECRET,
                slack_api_url=slack.base_url,
                log_level="WARNING",
            )
            bot = BotServer(settings, clock=clock, host="127.0.0.1", port=0).start()
            # Bolt's advice for an unhandled request is Python for the app's developer; the
            # demo answers unknown commands itself, as Slack does.
            for logger in ("slack_bolt", "slack_bolt.App"):
                logging.getLogger(logger).setLevel(logging.ERROR)
            try:
                slack.wait_for("users.list", timeout=10)
                with transaction(bot.runtime.sessions) as session:
                    workspace = session.get_one(Workspace, TEAM)
                    workspace.timezone = ZONE
                    workspace.digest_channel_id = "C0GENERAL"
                    workspace.matches_per_ask = 1
                with SlackDriver(bot.url, SECRET, slack=slack) as driver:
                    demo = Demo(bot, slack, driver, clock, out)
                    demo.seen = len(slack.calls)
                    yield demo
            finally:
                bot.stop()
