"""`reciprocity demo`: the real bot against the built-in Slack stand-in, with a made-up team.

It plays a short story (an offer, an ask that reaches the offerer, a nudge, a thread answer, a
resolution with credit, kudos, the weekly digest) and prints each message as Slack would show
it; `--interactive` then lets a person type commands as a team member. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from app.clock import OffsetClock
from app.digest.blocks import digest_as_text
from app.digest.runs import run_due
from app.nudges.service import run_pass
from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import Call, SlackStandIn
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
SHOWN = ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url")


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
        return str(self.slack.users.get(user_id, {}).get("name") or user_id)

    def readable(self, text: str) -> str:
        """Text as Slack shows it: mentions as @names."""
        text = re.sub(r"<@(U[0-9A-Z]+)(?:\|[^>]*)?>", lambda m: "@" + self.name(m.group(1)), text)
        return re.sub(r"@(U[0-9A-Z]+)", lambda m: "@" + self.name(m.group(1)), text)

    def command(self, user: str, text: str) -> str:
        """Send a slash command (`/kudos …`) as `user`; return the reply only they see."""
        name, _, rest = text.partition(" ")
        escaped = re.sub(
            r"@([a-z]+)",
            lambda m: f"<@{PEOPLE[m.group(1)]}|{m.group(1)}>" if m.group(1) in PEOPLE else m[0],
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
        if not response.content:
            return ""
        if response.headers.get("content-type", "").startswith("application/json"):
            return str(response.json().get("text", ""))
        return response.text

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
        """One message as Slack would show it."""
        args = call.args
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        body = _blocks_text(blocks) if blocks else str(args.get("text", ""))
        channel = str(args.get("channel") or "")
        if call.method == "response_url":
            where = "  (only visible to you)"
        elif call.method == "chat.postEphemeral":
            where = f"  (only visible to @{self.name(str(args.get('user')))}) in #general"
        elif channel in self.slack.users:
            where = f"  DM to @{self.name(channel)}"
        elif args.get("thread_ts"):
            where = "  #general, in the thread"
        else:
            where = "  #general" + (" (updated)" if call.method == "chat.update" else "")
        lines = self.readable(body).strip().splitlines() or [""]
        return where + "\n" + "\n".join("    " + line for line in lines)


def _blocks_text(blocks: list[dict[str, object]]) -> str:
    """Blocks as readable text; buttons as [labels]."""
    lines = []
    for block in blocks:
        if block.get("type") == "actions":
            elements = block.get("elements")
            labels = (
                [
                    str(e["text"].get("text"))
                    for e in elements
                    if isinstance(e, dict) and isinstance(e.get("text"), dict)
                ]
                if isinstance(elements, list)
                else []
            )
            lines.append("  ".join(f"[{label}]" for label in labels))
        else:
            lines.append(digest_as_text([block]))
    return "\n".join(line for line in lines if line)


@contextmanager
def running(out: TextIO, database_url: str | None = None) -> Iterator[Demo]:
    """Start the stand-in and the real bot with a made-up team; stop both afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'demo.db'}"
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
        print(
            "  (only visible to @"
            + user
            + ")\n    "
            + demo.readable(reply).replace("\n", "\n    "),
            file=demo.out,
        )


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
    demo.driver.interactive(click)
    view = demo.slack.calls_to("views.open")[-1].args["view"]
    values = {
        "helpers": {"users": payloads.multi_users_select_value([PEOPLE["bob"], PEOPLE["carol"]])},
        "note": {"text": payloads.plain_text_value("You two saved my Friday!")},
    }
    print("  @alice credits @bob and @carol: You two saved my Friday!", file=demo.out)
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


def interactive(demo: Demo, person: str, lines: TextIO) -> None:
    """Read commands typed as `person` and show the bot's answers, until EOF or `exit`."""
    print(
        f"\nYou are @{person} in #general. Try `/kudos @bob thanks for the review`, "
        "`/ask …`, `/offer …`; `exit` to leave.",
        file=demo.out,
    )
    while True:
        print(f"{person}> ", end="", file=demo.out, flush=True)
        line = lines.readline()
        if not line or line.strip() in ("exit", "quit"):
            print(file=demo.out)
            return
        text = line.strip()
        if not text.startswith("/"):
            print("  Type a slash command, e.g. /kudos @bob thanks", file=demo.out)
            continue
        reply = demo.command(person, text)
        if reply:
            print(
                "  (only visible to you)\n    " + demo.readable(reply).replace("\n", "\n    "),
                file=demo.out,
            )
        demo.settle()


def main(database_url: str | None, *, interactive_as: str | None) -> int:
    """Run the story (and then, with `interactive_as`, a prompt); return the exit code."""
    if interactive_as is not None and interactive_as not in PEOPLE:
        print(f"reciprocity: --as: pick one of {', '.join(PEOPLE)}", file=sys.stderr)
        return 2
    out = sys.stdout
    print(
        "Reciprocity demo: the real bot, a made-up team (alice, bob, carol, dave), no Slack.",
        file=out,
    )
    with running(out, database_url) as demo:
        story(demo)
        if interactive_as is not None:
            interactive(demo, interactive_as, sys.stdin)
    print(
        "\nThat's the demo. Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to run it for real.",
        file=out,
    )
    return 0
