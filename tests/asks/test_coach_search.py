"""The ask coach searches the whole history through the database's full-text index (FTS5 on
SQLite, a tsvector with GIN on PostgreSQL): found by words however old, never a private or
another workspace's ask, and never an error whatever was typed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, text, update
from sqlalchemy.orm import Session

from app.asks import coach
from app.store import fulltext
from app.store.db import make_engine, make_session_factory, transaction
from app.store.models import Ask
from app.workspaces.service import Identity, ensure_workspace

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
KAFKA = "Kafka consumer lag keeps growing on the billing topic"
# Quotes, FTS5 and tsquery operators, column filters, prefixes, unicode, nothing at all.
HOSTILE = [
    "",
    "   ",
    '"',
    '""',
    '"kafka',
    "'",
    "\\",
    "NEAR(kafka consumer)",
    "NEAR kafka consumer",
    "kafka*",
    "*",
    "text:kafka",
    "{text}: kafka",
    "-kafka",
    "kafka -consumer",
    "(kafka",
    "kafka)",
    "((()))",
    "AND OR NOT",
    "kafka AND NOT consumer",
    "^kafka",
    "kafka & consumer | !lag <-> growing",
    "kafka:* & !!lag",
    "kafka:AB",
    "über straße naïve café 日本語 🎉 kafka",
    "\x00kafka\x01",
    "<@U123|kafka> <#C1|general> <https://x.example|kafka>",
    "c++ c# .net node.js ci/cd a/b",
    "kafka " * 400,
]


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url, pool_size=1)
    factory = make_session_factory(engine)
    with transaction(factory) as setup:
        for team in ("T1", "T2"):
            ensure_workspace(setup, Identity(team, team, "UBOT", "BBOT"), START)
    with factory() as opened:
        yield opened
    engine.dispose()


def _ask(n: int, text_: str, **values: object) -> dict[str, object]:
    at = START + timedelta(hours=n)
    row: dict[str, object] = {
        "team_id": "T1",
        "asker_id": "UASK",
        "text": text_,
        "topics": [],
        "origin_channel_id": "C1",
        "channel_id": "C1",
        "channel_is_private": False,
        "message_ts": f"{1_700_000_000 + n}.000100",
        "status": "resolved",
        "created_at": at,
        "updated_at": at,
        "resolved_at": at,
        "nudge_round": 0,
    }
    row.update(values)
    return row


def _store(session: Session, rows: list[dict[str, object]]) -> None:
    session.execute(insert(Ask), rows)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # The lexeme frequencies the search plans with come from ANALYZE (autovacuum in service).
        session.execute(text("ANALYZE asks"))
        session.commit()


def _texts(session: Session, typed: str) -> list[str]:
    return [found.text for found in coach.similar(session, "T1", typed)]


def test_an_ask_older_than_the_latest_500_is_found_by_its_words(session: Session) -> None:
    newer = [_ask(n + 1, f"Where is the office party number {n} this year?") for n in range(600)]
    _store(session, [_ask(0, KAFKA), *newer])
    assert _texts(session, "Why does our kafka consumer lag?") == [KAFKA]


def test_synonyms_and_stems_reach_other_spellings(session: Session) -> None:
    _store(
        session,
        [
            _ask(0, "Kubernetes ingress returns 502 after the upgrade"),
            _ask(1, "The pricing chart renders blank in Safari"),
        ],
    )
    assert _texts(session, "k8s ingress") == ["Kubernetes ingress returns 502 after the upgrade"]
    assert _texts(session, "pricing charts") == ["The pricing chart renders blank in Safari"]


def test_only_the_workspaces_resolved_public_posted_asks_are_suggested(session: Session) -> None:
    _store(
        session,
        [
            _ask(0, KAFKA + " (private)", channel_is_private=True),
            _ask(1, KAFKA + " (elsewhere)", team_id="T2"),
            _ask(2, KAFKA + " (open)", status="open", resolved_at=None),
            _ask(3, KAFKA + " (closed)", status="closed", resolved_at=None),
            _ask(4, KAFKA + " (never posted)", message_ts=None, channel_id=None),
            _ask(5, KAFKA + " (public)"),
        ],
    )
    assert _texts(session, KAFKA) == [KAFKA + " (public)"]
    assert coach.similar(session, "T2", KAFKA)[0].text == KAFKA + " (elsewhere)"


def test_the_index_follows_edits_and_deletions(session: Session) -> None:
    _store(session, [_ask(0, KAFKA), _ask(1, "Redis eviction policy for the session cache")])
    session.execute(
        update(Ask).where(Ask.text == KAFKA).values(text="Salesforce report grouped by region")
    )
    session.execute(delete(Ask).where(Ask.text.like("Redis%")))
    session.commit()
    assert _texts(session, "kafka consumer lag") == []
    assert _texts(session, "redis eviction") == []
    assert _texts(session, "salesforce region report") == ["Salesforce report grouped by region"]


@pytest.mark.parametrize("typed", HOSTILE)
def test_typed_text_never_breaks_the_search(session: Session, typed: str) -> None:
    _store(session, [_ask(0, KAFKA), _ask(1, "Lunch recommendations near the office")])
    # Whatever was typed is words to look for: it may find the Kafka ask, never everything.
    assert set(_texts(session, typed)) <= {KAFKA}


@pytest.mark.parametrize(
    "typed", ['"kafka', "NEAR(kafka consumer)", "kafka*", "-kafka", "kafka:* & !!lag", "(kafka"]
)
def test_words_among_query_syntax_are_still_found(session: Session, typed: str) -> None:
    _store(session, [_ask(0, KAFKA), _ask(1, "Lunch recommendations near the office")])
    assert _texts(session, typed) == [KAFKA]


def test_fts5_queries_are_quoted_words_only() -> None:
    query = fulltext.fts5_query(['NEAR("a" b)', "x* OR -y", "", "c++", "日本"])
    assert query == '"c" OR "near a b" OR "x or y" OR "日本"'


def test_a_word_in_many_asks_is_looked_for_among_the_newest_and_a_rare_one_everywhere(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small bound on the asks ranked, so a few dozen asks make "deploy" a common word.
    monkeypatch.setattr(fulltext, "RANKED", 10)
    rows = [_ask(0, "Deploy of the kafka connector hangs")]
    # The older asks say "deploy" twice: ranked over the whole history, they would come first.
    rows += [_ask(n, f"Deploy, deploy again: number {n} waits") for n in range(1, 151)]
    rows += [_ask(n, f"Deploy number {n} waits for approval") for n in range(151, 201)]
    _store(session, rows)
    assert _texts(session, "kafka deploy")[0] == "Deploy of the kafka connector hangs"
    newest = _texts(session, "deploy")
    assert len(newest) == 3
    assert all(found.startswith("Deploy number") for found in newest)
