"""The asks front doors over a real database: each refusal has its reason (and its words), and
the ask form's fields make the ask's text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from app.asks import command, lifecycle, resolution
from app.asks.access import AskRefusal
from app.delivery.tokens import NoTokens
from app.directory.slack_lookup import SlackLookup
from app.slackapi.outcomes import Done, OpenView, Refusal, Reply
from app.slackapi.payloads import Click, Conversation, SlashCommand, Submission
from app.slackapi.web_api import WebApi
from app.store.db import make_engine, make_session_factory, transaction
from app.store.models import Ask, OutboxMessage
from app.workspaces.service import Identity, ensure_workspace

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
PUBLIC = Conversation("C1", is_private=False, is_dm=False, bot_is_member=True)

# These asks are typed in DMs: nothing needs looking up on Slack, and nothing is reachable.
NOWHERE = SlackLookup(WebApi("http://127.0.0.1:9/api/"), NoTokens())


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url, pool_size=1)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), NOW)
        yield session
    engine.dispose()


def _ask(session: Session) -> int:
    return lifecycle.create(
        session, "T1", "UASK", "Postgres vacuum is stuck #postgres", PUBLIC, NOW
    ).id


def _click(user: str, value: object) -> Click:
    return Click("T1", user, "", str(value), "C1", "1.0", None)


def _refused(outcome: object, reason: AskRefusal, words: str) -> None:
    assert isinstance(outcome, Refusal)
    assert (outcome.reason, words in outcome.text) == (reason, True)


def _form(user: str, values: dict[str, object], metadata: dict[str, object]) -> Submission:
    return Submission("T1", user, metadata, values)


def test_buttons_refuse_with_a_reason(session: Session) -> None:
    ask_id = _ask(session)
    _refused(lifecycle.claim(session, _click("UASK", ask_id), NOW), AskRefusal.OWN_ASK, "own ask")
    assert isinstance(lifecycle.claim(session, _click("UBEN", ask_id), NOW), Reply)
    _refused(
        lifecycle.claim(session, _click("UBEN", ask_id), NOW),
        AskRefusal.ALREADY_CLAIMED,
        "already offered",
    )
    _refused(
        lifecycle.close(session, _click("UBEN", ask_id), NOW),
        AskRefusal.NOT_ASKER,
        "Only the person who asked can close it.",
    )
    _refused(
        resolution.open_form(session, _click("UBEN", ask_id), NOW),
        AskRefusal.NOT_ASKER,
        "can resolve it",
    )
    assert isinstance(resolution.open_form(session, _click("UASK", ask_id), NOW), OpenView)
    assert isinstance(lifecycle.close(session, _click("UASK", ask_id), NOW), Reply)
    _refused(
        lifecycle.close(session, _click("UASK", ask_id), NOW), AskRefusal.NOT_OPEN, "no longer open"
    )
    _refused(
        lifecycle.reopen(session, _click("UASK", ask_id), NOW),
        AskRefusal.NOT_OPEN,
        "ask again with /ask",
    )
    # A value that names no ask (forged or garbled) is refused without a word to say.
    assert lifecycle.claim(session, _click("UBEN", "x"), NOW) == Refusal(AskRefusal.NO_ASK, "")


def test_reopening_an_open_ask_is_refused(session: Session) -> None:
    ask_id = _ask(session)
    _refused(
        lifecycle.reopen(session, _click("UASK", ask_id), NOW), AskRefusal.STILL_OPEN, "still open"
    )


def test_the_resolve_form_is_checked_against_its_submitter(session: Session) -> None:
    ask_id = _ask(session)
    values = {"helpers": {"users": {"selected_users": ["UBEN"]}}}
    expired = resolution.submit_form(session, _form("UASK", values, {}), NOW)
    assert expired == Refusal(AskRefusal.EXPIRED_FORM, "This form has expired.", "helpers")
    forged = resolution.submit_form(session, _form("UBEN", values, {"ask_id": ask_id}), NOW)
    _refused(forged, AskRefusal.NOT_ASKER, "can resolve it")
    assert resolution.submit_form(session, _form("UASK", values, {"ask_id": ask_id}), NOW) == Done()
    ask = session.get_one(Ask, ask_id)
    assert (ask.status, [h.helper_id for h in ask.helpers]) == ("resolved", ["UBEN"])


def test_short_or_long_asks_are_refused(session: Session) -> None:
    def slash(text: str) -> SlashCommand:
        return SlashCommand("T1", "UASK", "D1", "directmessage", "/ask", text, None, None)

    short = command.handle(session, NOWHERE, slash("help me"), NOW)
    _refused(short, AskRefusal.TOO_SHORT, "a little short")
    long = command.handle(session, NOWHERE, slash("word " * 700), NOW)
    _refused(long, AskRefusal.TOO_LONG, "longer than 3000 characters")
    assert isinstance(command.handle(session, NOWHERE, slash(""), NOW), OpenView)


def test_the_ask_form_makes_the_asks_text(session: Session) -> None:
    def typed(**fields: str) -> dict[str, object]:
        return {block: {"text": {"value": value}} for block, value in fields.items()}

    dm = {"channel_id": "", "in_dm": True}
    short = command.submit_form(session, NOWHERE, _form("UASK", typed(need="help"), dm), NOW)
    assert short == Refusal(
        AskRefusal.TOO_SHORT, "Say a bit more: what exactly do you need?", "need"
    )
    values = typed(
        need="A review of my Helm chart",
        tried="helm lint",
        by="Thursday",
        topics="k8s, helm charts",
    )
    done = command.submit_form(session, NOWHERE, _form("UASK", values, dm), NOW)
    assert done == Done()
    ask = session.query(Ask).one()
    assert ask.text == (
        "A review of my Helm chart\nTried: helm lint\nNeeded by: Thursday\n#k8s #helm-charts"
    )
    confirm = session.query(OutboxMessage).filter_by(dedupe_key=f"ask:{ask.id}:confirm").one()
    assert "won't post it anywhere public" in json.dumps(confirm.args)
