"""`reciprocity demo`: the real bot against the built-in Slack stand-in, with a made-up team.

It plays a short story (an offer, an ask that reaches the offerer, a nudge, a thread answer, a
resolution with credit, kudos, the weekly digest) and prints each message as Slack would show
it; `--interactive` then plays the same story and lets a person type commands as a team member
(Slack's own answer for a command the app does not have, a form shown as text, the typed line
echoed when input is piped). Nothing leaves the machine: the bot's database is a throwaway SQLite
file, always; DATABASE_URL is ignored (and the demo says so), so a demo can never write its
made-up team into a real database.
"""

from __future__ import annotations

import logging
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from app.clock import OffsetClock
from app.console import message_text, mrkdwn_text, view_text
from app.digest.runs import run_due
from app.nudges.service import run_pass
from app.sandbox import payloads
from app.sandbox.answers import Call
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.settings import Settings
from app.store.db import transaction
from app.store.models import Ask, Workspace

TEAM = "T0DEMO"
TOKEN = "xoxb-demo-token"  # noqa: S105 - the stand-in's made-up token
SECRET = "demosecret"  # noqa: S105 - signs requests between the demo and its own bot
ZONE = "America/New_York"
# Monday 23 November 2026, 09:30 in New York.
START = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
PEOPLE = {"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL", "dave": "U0DAVE"}
SHOWN = ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url", "views.open")
# The slash commands the app's manifest registers: Slack answers any other itself.
COMMANDS = ("/kudos", "/ask", "/offer")
FORMS = {
    "/kudos": "/kudos @{other} thanks for the review",
    "/ask": "/ask How do I rotate the staging password? #postgres",
}


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
        return where + "\n" + _indent(body)

    def where(self, method: str, args: dict[str, Any]) -> str:
        """Where a message appears, and to whom."""
        channel = str(args.get("channel") or "")
        if method == "response_url":
            return "  (only visible to you)"
        if method == "chat.postEphemeral":
            return f"  (only visible to @{self.name(str(args.get('user')))}) in #general"
        if channel in self.slack.users:
            return f"  DM to @{self.name(channel)}"
        place = "#" + self.names.get(channel, channel)
        if args.get("thread_ts"):
            return f"  {place}, in the thread"
        return f"  {place}" + (" (updated)" if method == "chat.update" else "")

    @property
    def ansi(self) -> bool:
        """Whether the output is a terminal, which shows bold as bold."""
        return self.out.isatty()


def _indent(text: str) -> str:
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


def story(demo: Demo) -> None:
    """Play the story, a numbered step at a time."""
    steps: list[tuple[str, Callable[[], None]]] = [
        (
            "Carol offers help with postgres and kubernetes",
            lambda: _say(demo, "carol", "/offer postgres, kubernetes — happy to pair"),
        ),
        ("Dave offers help with postgres too", lambda: _say(demo, "dave", "/offer postgres")),
        (
            "Alice asks for specific help; one postgres expert hears of it",
            lambda: _say(
                demo,
                "alice",
                "/ask How do I rotate the staging database password? Tried the "
                "runbook, step 3 fails. Need it by Friday #postgres",
            ),
        ),
        (
            "Five working hours pass without an answer: the nudge reaches another expert",
            lambda: _nudge(demo),
        ),
        ("Bob answers in the ask's thread", lambda: _answer(demo)),
        (
            "Alice marks it resolved, crediting Bob and Carol with a thank-you",
            lambda: _resolve(demo),
        ),
        (
            "Bob thanks Carol in public",
            lambda: _say(
                demo, "bob", "/kudos @carol thanks for pairing on the migration #teamwork"
            ),
        ),
        ("Next Monday morning: the weekly digest of who helped whom", lambda: _digest(demo)),
    ]
    for number, (title, step) in enumerate(steps, start=1):
        print(f"\n[{number}/{len(steps)}] {title}", file=demo.out)
        step()
        demo.settle()


def _say(demo: Demo, user: str, text: str) -> None:
    print(f"  @{user} types: {text}", file=demo.out)
    reply = demo.command(user, text)
    if reply:
        print(f"  (only visible to @{user})\n{_indent(reply)}", file=demo.out)


def _ask(demo: Demo) -> Ask:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with demo.bot.runtime.sessions() as session:
            ask = session.query(Ask).order_by(Ask.id.desc()).first()
            if ask is not None and ask.message_ts is not None:
                session.expunge(ask)
                return ask
        time.sleep(0.05)
    raise RuntimeError("the ask was never posted")


def _nudge(demo: Demo) -> None:
    demo.clock.advance(timedelta(hours=5))
    run_pass(demo.bot.runtime.sessions, demo.clock.now())


def _answer(demo: Demo) -> None:
    ask = _ask(demo)
    event = demo.slack.user_posts(
        str(ask.channel_id),
        PEOPLE["bob"],
        "Step 3 needs the new vault path: `vault kv get secret/staging/db`",
        thread_ts=ask.message_ts,
    )
    print("  @bob replies in the thread: Step 3 needs the new vault path", file=demo.out)
    demo.driver.event(payloads.event_callback(event, team_id=TEAM))


def _resolve(demo: Demo) -> None:
    ask = _ask(demo)
    click = payloads.block_actions(
        user_id=PEOPLE["alice"],
        team_id=TEAM,
        action_id="ask.resolve",
        value=str(ask.id),
        channel_id=ask.channel_id,
        message_ts=ask.message_ts,
        trigger_id=demo.slack.issue_trigger_id(),
    )
    print("  @alice clicks [Resolved] under her ask", file=demo.out)
    demo.driver.interactive(click)
    demo.settle()
    view = demo.slack.calls_to("views.open")[-1].args["view"]
    values = {
        "helpers": {"users": payloads.multi_users_select_value([PEOPLE["bob"], PEOPLE["carol"]])},
        "note": {"text": payloads.plain_text_value("You two saved my Friday!")},
    }
    print(
        "  @alice adds @carol to who helped, writes “You two saved my Friday!” and clicks "
        "[Resolve]",
        file=demo.out,
    )
    demo.driver.interactive(
        payloads.view_submission(
            user_id=PEOPLE["alice"],
            team_id=TEAM,
            callback_id=view["callback_id"],
            values=values,
            private_metadata=view["private_metadata"],
        )
    )


def _digest(demo: Demo) -> None:
    demo.settle()
    demo.seen = len(demo.slack.calls)
    # Monday 30 November, 09:05 in New York: the digest for the week just ended is due.
    demo.clock.advance(datetime(2026, 11, 30, 14, 5, tzinfo=UTC) - demo.clock.now())
    run_due(demo.bot.runtime.sessions, demo.clock.now())


def other_than(person: str) -> str:
    """Someone for `person` to thank in an example: never themselves."""
    return "carol" if person != "carol" else "bob"


def interactive(demo: Demo, person: str, lines: TextIO, *, echo: bool = False) -> None:
    """Read commands typed as `person` and show the bot's answers, until EOF or `exit`; with
    `echo` (input that is not a terminal), print each line read after the prompt."""
    other = other_than(person)
    print(
        f"\nYour turn. You are @{person} in #general. Try `/kudos @{other} thanks for the "
        "review`, `/ask …`, `/offer …`, `/kudos top`; `exit` to leave.",
        file=demo.out,
    )
    while True:
        print(f"{person}> ", end="", file=demo.out, flush=True)
        line = lines.readline()
        if echo and line:
            print(line.rstrip("\n"), file=demo.out)
        if not line or line.strip() in ("exit", "quit"):
            if not line or not echo:
                print(file=demo.out)
            return
        text = line.strip()
        if not text:
            continue
        answer(demo, person, text)


def answer(demo: Demo, person: str, text: str) -> None:
    """Play one typed line as Slack would: the command's reply, what it posts, or a hint."""
    other = other_than(person)
    name = text.split(maxsplit=1)[0].lower()
    if not text.startswith("/"):
        print(f"  Type a slash command, e.g. /kudos @{other} thanks for the review", file=demo.out)
        return
    # Slack itself answers a command no installed app registers; the bot never hears it.
    reply = demo.command(person, name + text[len(name) :]) if name in COMMANDS else None
    if reply is None:
        print(
            f"  Unknown command {name}: try {', '.join(COMMANDS[:-1])} or {COMMANDS[-1]}",
            file=demo.out,
        )
        return
    if reply:
        print(f"  (only visible to you)\n{_indent(reply)}", file=demo.out)
    demo.settle()
    if name in FORMS and not text[len(name) :].strip():
        example = FORMS[name].format(other=other)
        print(f"  Forms cannot be filled in here: type `{example}` instead.", file=demo.out)


def main(database_url: str | None, *, interactive_as: str | None) -> int:
    """Run the story (and then, with `interactive_as`, a prompt); return the exit code.

    `database_url` (DATABASE_URL, when set) is never used: the demo's made-up team lives in a
    throwaway SQLite file, so a demo cannot touch a real workspace's data.
    """
    person = interactive_as.strip().lstrip("@").lower() if interactive_as is not None else None
    if person is not None and person not in PEOPLE:
        print(f"reciprocity: --as: pick one of {', '.join(PEOPLE)}", file=sys.stderr)
        return 2
    out = sys.stdout
    print(
        "Reciprocity demo: the real bot, a made-up team (alice, bob, carol, dave), no Slack.",
        file=out,
    )
    if database_url:
        print(
            "DATABASE_URL is set, and ignored: the demo keeps its made-up team in a throwaway "
            "SQLite file, so your database is not touched.",
            file=out,
        )
    if person is not None:
        print(f"First the story, then it's your turn as @{person}.", file=out)
    with running(out) as demo:
        story(demo)
        if person is not None:
            interactive(demo, person, sys.stdin, echo=not sys.stdin.isatty())
    print(
        "\nThat's the demo. Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to run it for real.",
        file=out,
    )
    return 0
