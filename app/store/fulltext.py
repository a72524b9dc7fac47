"""The asks' full-text index: which schema objects it is, and a ranked match over it.

Migration 0012 builds it: on PostgreSQL a stored `tsvector` column `asks.search` (the `english`
configuration) with a GIN index, on SQLite an FTS5 table `asks_fts` over `asks.text` (Porter
stemmer) kept in step by triggers. Both stem, so "charts" finds "chart" and "migrating" finds
"migration". Neither is mapped in the models; `SCHEMA_NAMES` lets the schema comparison skip them.

Callers pass plain phrases, never query syntax: each phrase is reduced to its words here, so what a
person typed cannot change the query's meaning or make the database refuse it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import reduce
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, column, func, literal_column, table
from sqlalchemy.dialects.postgresql import TSVECTOR

from app.store.models import Ask

CONFIG = "english"
# The FTS5 table and its shadow tables, the PostgreSQL column and its index, the triggers.
SCHEMA_NAMES = frozenset(
    {
        "asks_fts",
        "asks_fts_data",
        "asks_fts_idx",
        "asks_fts_docsize",
        "asks_fts_config",
        "search",
        "ix_asks_search",
    }
)
_Row = TypeVarTuple("_Row")
_TOKEN = re.compile(r"[^\W_]+")
_FTS = table("asks_fts", column("rowid"))
# Unmapped in the models: named here, qualified by the asks table.
_SEARCH = literal_column("asks.search", TSVECTOR)


def not_the_index(name: str | None, _type: str, _parents: Mapping[str, str | None]) -> bool:
    """Alembic's `include_name` hook: whether a schema object is not part of this index."""
    return name not in SCHEMA_NAMES


def _words(phrase: str) -> list[str]:
    """`phrase`'s words, lowercased: letters and digits only, so no query syntax survives."""
    return _TOKEN.findall(phrase.lower())


def fts5_query(phrases: Sequence[str]) -> str:
    """An FTS5 query matching any of `phrases` (each word quoted, so every word is a literal)."""
    quoted = {'"' + " ".join(words) + '"' for words in map(_words, phrases) if words}
    return " OR ".join(sorted(quoted))


def ranked(
    statement: Select[*_Row], dialect: str, phrases: Sequence[str]
) -> Select[*_Row]:
    """`statement` (a select over asks) narrowed to the asks whose text contains any of
    `phrases`, best match first; matches nothing when no phrase has a word."""
    kept = sorted({" ".join(words) for words in map(_words, phrases) if words})
    if not kept:
        return statement.where(literal_column("1") == 0)
    if dialect == "sqlite":
        fts: ColumnElement[Any] = literal_column("asks_fts")
        return (
            statement.join(_FTS, _FTS.c.rowid == Ask.id)
            .where(fts.op("MATCH")(fts5_query(kept)))
            .order_by(func.bm25(fts), Ask.resolved_at.desc())
        )
    query = _tsquery(kept)
    return statement.where(_SEARCH.op("@@")(query)).order_by(
        func.ts_rank(_SEARCH, query).desc(), Ask.resolved_at.desc()
    )


def _tsquery(phrases: Sequence[str]) -> ColumnElement[Any]:
    """A tsquery matching any of `phrases`, each parsed by PostgreSQL as plain text."""
    config: ColumnElement[Any] = literal_column(f"'{CONFIG}'::regconfig")
    parts = [func.phraseto_tsquery(config, phrase) for phrase in phrases]
    return reduce(lambda left, right: left.op("||")(right), parts)
