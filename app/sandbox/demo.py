"""`reciprocity demo`: the real bot against the built-in Slack stand-in, with a made-up team.

It plays a short story (app/sandbox/demo_story.py: an offer, an ask that reaches the offerer, a
nudge, a thread answer, a resolution with credit, kudos, an introduction, the weekly digest) and
prints each message as Slack would show it (app/sandbox/demo_bot.py); `--interactive` then
plays the same story and lets a person type commands as a team member (Slack's own answer for a
command the app does not have, a form shown as text, the typed line echoed when input is piped).
Nothing leaves the machine: the bot's database is a throwaway SQLite file, always; DATABASE_URL
is ignored (and the demo says so), so a demo can never write its made-up team into a real
database.
"""

from __future__ import annotations

import sys
from typing import TextIO

from app.sandbox.demo_bot import PEOPLE, Demo, indent, running
from app.sandbox.demo_story import story

# The slash commands the app's manifest registers: Slack answers any other itself.
COMMANDS = ("/kudos", "/ask", "/offer", "/intro")
FORMS = {
    "/kudos": "/kudos @{other} thanks for the review",
    "/ask": "/ask How do I rotate the staging password? #postgres",
    "/intro": "/intro @{other} @{third} you both look after the staging database",
}


def other_than(person: str) -> str:
    """Someone for `person` to thank in an example: never themselves."""
    return "carol" if person != "carol" else "bob"


def third_than(person: str, other: str) -> str:
    """Someone for `person` to introduce to `other` in an example: neither of them."""
    return next(name for name in PEOPLE if name not in (person, other))


def interactive(demo: Demo, person: str, lines: TextIO, *, echo: bool = False) -> None:
    """Read commands typed as `person` and show the bot's answers, until EOF or `exit`; with
    `echo` (input that is not a terminal), print each line read after the prompt."""
    other = other_than(person)
    print(
        f"\nYour turn. You are @{person} in #general. Try `/kudos @{other} thanks for the "
        f"review`, `/ask …`, `/offer …`, `/intro @{other} @{third_than(person, other)} why`, "
        "`/kudos top`; `exit` to leave.",
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
        print(f"  (only visible to you)\n{indent(reply)}", file=demo.out)
    demo.settle()
    if name in FORMS and not text[len(name) :].strip():
        example = FORMS[name].format(other=other, third=third_than(person, other))
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
