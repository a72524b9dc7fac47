"""The demo's story: an offer, an ask that reaches the offerer, a nudge, a thread answer, a
resolution with credit, kudos, an introduction both people accept, the weekly digest."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from app.digest.runs import run_due
from app.intros.blocks import ACCEPT as INTRO_ACCEPT
from app.nudges.service import run_pass
from app.sandbox import payloads
from app.sandbox.answers import Call
from app.sandbox.demo_bot import PEOPLE, TEAM, Demo, indent
from app.store.models import Ask


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
        (
            "Carol introduces Alice and Dave, who both look after staging; both say yes",
            lambda: _introduce(demo),
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
        print(f"  (only visible to @{user})\n{indent(reply)}", file=demo.out)


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


def _introduce(demo: Demo) -> None:
    _say(
        demo,
        "carol",
        "/intro @alice @dave you both keep the staging databases running: compare notes on "
        "the password rotation before the next one",
    )
    demo.settle()
    for person in ("alice", "dave"):
        invitation = _invitation(demo, PEOPLE[person])
        click = payloads.block_actions(
            user_id=PEOPLE[person],
            team_id=TEAM,
            action_id=INTRO_ACCEPT,
            value=_value(invitation.args, INTRO_ACCEPT),
            channel_id=invitation.response["channel"],
            message_ts=invitation.response["ts"],
        )
        print(f"  @{person} clicks [Happy to connect]", file=demo.out)
        demo.driver.interactive(click)
        demo.settle()


def _invitation(demo: Demo, user_id: str) -> Call:
    """The introduction invitation the bot sent `user_id` last."""
    return next(
        call
        for call in reversed(demo.slack.calls)
        if call.method == "chat.postMessage"
        and call.ok
        and call.args.get("channel") == user_id
        and _value(call.args, INTRO_ACCEPT)
    )


def _value(message: dict[str, Any], action_id: str) -> str:
    """The value of the button `action_id` on `message`, or "" if it has none."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return str(element.get("value") or "")
    return ""


def _digest(demo: Demo) -> None:
    demo.settle()
    demo.seen = len(demo.slack.calls)
    # Monday 30 November, 09:05 in New York: the digest for the week just ended is due.
    demo.clock.advance(datetime(2026, 11, 30, 14, 5, tzinfo=UTC) - demo.clock.now())
    run_due(demo.bot.runtime.sessions, demo.clock.now())
