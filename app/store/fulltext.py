"""The asks' full-text index: which schema objects it is, and a ranked match over it.

Migration 0010 builds it: on PostgreSQL a stored `tsvector` column `asks.search` (the `english`
configuration) with a GIN index, on SQLite an FTS5 table `asks_fts` over `asks.text` (Porter
stemmer) kept in step by triggers. Both stem, so "charts" finds "chart" and "migrating" finds
"migration". Neither is mapped in the models; `SCHEMA_NAMES` lets the schema comparison skip them.

A query is a list of terms, each a list of interchangeable phrases ("kubernetes", "k8s"); an ask
matches when it contains any phrase of any term. Ranking reads every matching ask, so a term that
thousands of asks contain would make the cost follow the history. The work is bounded instead:
the terms are sorted by how many asks contain them (FTS5 counts its own posting lists; PostgreSQL
keeps lexeme frequencies in `pg_stats` from ANALYZE), the rarest are matched over the whole
history while their matches stay under RANKED, and the common ones only among the newest asks,
in a window sized so that they, too, bring about RANKED. An ask that only a rare word ties to the
question is found however old it is; a word every tenth ask contains says little about which of
them is meant, and the recent ones are as good as any.

Callers pass plain phrases, never query syntax: each phrase is reduced to its words here, so what
a person typed cannot change the query's meaning or make the database refuse it.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    union,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Session

from app.store import core
from app.store.direct import DirectStatement
from app.store.models import Ask

CONFIG = "english"
# About how many matching asks a search ranks, from the rare terms and again from the window.
RANKED = 200
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
_REGCONFIG = f"'{CONFIG}'::regconfig"
# The newest ask id, and each phrase's estimated share of asks: its rarest word's share as
# ANALYZE saw it (0 when it is rarer than the least common word PostgreSQL keeps a frequency for).
_SHARES = DirectStatement(
    text(
        f"""
    SELECT (SELECT max(id) FROM asks) AS newest, p.phrase, min(coalesce(f.share, 0)) AS share
    FROM unnest(CAST(:phrases AS text[])) AS p(phrase)
    CROSS JOIN LATERAL unnest(to_tsvector({_REGCONFIG}, p.phrase)) AS w
    LEFT JOIN (
        SELECT e.word, e.share FROM pg_stats AS s,
        unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(word, share)
        WHERE s.tablename = 'asks' AND s.attname = 'search' AND s.schemaname = current_schema()
    ) AS f ON f.word = w.lexeme
    GROUP BY p.phrase
    """  # noqa: S608 (the configuration's name is a constant, not input)
    )
    # The share (a real) as the driver reads it: a direct statement processes no numeric type.
    .columns(column("newest", Integer), column("phrase", String), column("share"))
)


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


@dataclass(frozen=True)
class _Plan:
    """Which terms to match over the whole history, which only above ask id `floor`, and how
    much each weighs (the log of how rare it is)."""

    rare: list[list[str]]
    common: list[list[str]]
    floor: int
    weights: list[float]


def ranked(
    session: Session,
    statement: Select[*_Row],
    terms: Sequence[Sequence[str]],
    parameters: Mapping[str, Any],
) -> list[Any]:
    """The rows of `statement` (a select over asks, built once by its caller, its own
    parameters in `parameters`) narrowed to the asks containing any phrase of any of `terms`
    (see the module's notes for which), best match first; none when no phrase has a word.

    The search is built and compiled once per statement and shape (how many phrases each term
    has, which are matched over the whole history) and takes the phrases, weights and window as
    parameters: built for every ask, it cost more than the search itself (bench/README.md). It
    runs on the driver's cursor (`direct`), in `session`'s transaction."""
    kept = [sorted({" ".join(_words(p)) for p in term if _words(p)}) for term in terms]
    kept = [term for term in kept if term]
    if not kept:
        return []
    bind = core.connection(session)
    sqlite = bind.dialect.name == "sqlite"
    plan = _plan(bind, kept, sqlite)
    search, own = _fts5(statement, kept, plan) if sqlite else _postgres(statement, kept, plan)
    return search.rows(bind, {**parameters, **own})


def _plan(bind: Connection, terms: list[list[str]], sqlite: bool) -> _Plan:
    """Split `terms` into those matched over the whole history and those matched in a window."""
    if sqlite:
        # One statement: the newest id and each term's count (FTS5 counts its posting lists).
        queries = {f"q{n}": fts5_query(term) for n, term in enumerate(terms)}
        row = _fts5_counts(len(terms)).one(bind, queries)
        newest = row[0] or 0
        matches = [float(found or 0) for found in row[1:]]
    else:
        # One round trip; no row at all when no phrase has a word the index keeps.
        phrases = sorted({p for term in terms for p in term})
        rows = _SHARES.rows(bind, {"phrases": phrases})
        newest = rows[0].newest or 0 if rows else 0
        shares = {row.phrase: float(row.share) for row in rows}
        matches = [newest * sum(shares.get(p, 0.0) for p in term) for term in terms]
    rare: list[list[str]] = []
    common: list[list[str]] = []
    total = 0.0
    for found, term in sorted(zip(matches, terms, strict=True), key=lambda pair: pair[0]):
        if total + found <= RANKED:
            rare.append(term)
            total += found
        else:
            common.append(term)
    common_matches = sum(m for m, t in zip(matches, terms, strict=True) if t in common)
    window = int(RANKED * newest / common_matches) if common_matches else newest
    weights = [math.log((newest + 1) / (1 + found)) + 1 for found in matches]
    return _Plan(rare, common, newest - window, weights)


@functools.cache
def _fts5_counts(terms: int) -> DirectStatement:
    """The newest ask id, then how many asks match each of `terms` FTS5 queries bound as :q0,
    :q1, …: one statement, its text made (and compiled) once per number of terms."""
    counts = ", ".join(
        f"(SELECT count(*) FROM asks_fts WHERE asks_fts MATCH :q{n})"  # noqa: S608 (a number)
        for n in range(terms)
    )
    found = text(f"SELECT (SELECT max(id) FROM asks), {counts}")  # noqa: S608 (numbered binds)
    named = [column("newest", Integer), *(column(f"n{n}", Integer) for n in range(terms))]
    return DirectStatement(found.columns(*named))


def _fts5(
    statement: Select[*_Row], terms: list[list[str]], plan: _Plan
) -> tuple[DirectStatement, dict[str, Any]]:
    """The SQLite search: rank by FTS5's bm25 among the planned matches."""
    common = [p for term in plan.common for p in term]
    rare = [p for term in plan.rare for p in term]
    params = {
        "fts_all": fts5_query([p for term in terms for p in term]),
        "fts_common": fts5_query(common),
        "fts_rare": fts5_query(rare),
        "fts_floor": plan.floor,
    }
    return _fts5_search(statement, bool(common), bool(rare)), params


@functools.lru_cache(maxsize=64)
def _fts5_search(statement: Select[*_Row], common: bool, rare: bool) -> DirectStatement:
    """`statement` searched by FTS5 when there are `common` terms (matched only above the
    window's floor) and `rare` ones; the queries are the parameters `fts_all`, `fts_common`,
    `fts_rare` and `fts_floor`."""
    fts: ColumnElement[Any] = literal_column("asks_fts")
    where: ColumnElement[bool] = fts.op("MATCH")(bindparam("fts_all", type_=String))
    if common:
        pool = [
            select(_FTS.c.rowid).where(
                fts.op("MATCH")(bindparam("fts_common", type_=String)),
                _FTS.c.rowid > bindparam("fts_floor", type_=Integer),
            )
        ]
        if rare:
            pool.append(
                select(_FTS.c.rowid).where(fts.op("MATCH")(bindparam("fts_rare", type_=String)))
            )
        # "+ 0": a bare rowid IN (...) is handed to FTS5, which then runs the whole MATCH once
        # per listed rowid; as an expression it filters the one pass over the matches instead.
        where = and_(where, (_FTS.c.rowid + 0).in_(union(*pool)))
    narrowed = statement.join(_FTS, _FTS.c.rowid == Ask.id).where(where)
    return DirectStatement(narrowed.order_by(func.bm25(fts), Ask.resolved_at.desc()))


def _postgres(
    statement: Select[*_Row], terms: list[list[str]], plan: _Plan
) -> tuple[DirectStatement, dict[str, Any]]:
    """The PostgreSQL search: rank by the weights of the terms an ask contains (ts_rank has no
    notion of a word's rarity), then by ts_rank, among the planned matches."""
    shape = tuple((len(term), term in plan.rare) for term in terms)
    params: dict[str, Any] = {"fts_floor": plan.floor}
    for n, (term, weight) in enumerate(zip(terms, plan.weights, strict=True)):
        params[f"fts_w{n}"] = weight
        params.update({f"fts_p{n}_{k}": phrase for k, phrase in enumerate(term)})
    return _postgres_search(statement, shape), params


@functools.lru_cache(maxsize=256)
def _postgres_search(
    statement: Select[*_Row], shape: tuple[tuple[int, bool], ...]
) -> DirectStatement:
    """`statement` searched for terms of `shape` (each term's number of phrases, and whether it
    is matched over the whole history); term n's phrase k is the parameter `fts_p{n}_{k}`, its
    weight `fts_w{n}`, the window's floor `fts_floor`."""
    queries = [
        _tsquery([bindparam(f"fts_p{n}_{k}", type_=String) for k in range(phrases)])
        for n, (phrases, _) in enumerate(shape)
    ]
    rare = [query for query, (_, is_rare) in zip(queries, shape, strict=True) if is_rare]
    common = [query for query, (_, is_rare) in zip(queries, shape, strict=True) if not is_rare]
    matched: list[ColumnElement[bool]] = []
    if rare:
        matched.append(_SEARCH.op("@@")(_any(rare)))
    if common:
        floor = bindparam("fts_floor", type_=Integer)
        matched.append(and_(_SEARCH.op("@@")(_any(common)), Ask.id > floor))
    weights: list[ColumnElement[Any]] = [
        case((_SEARCH.op("@@")(query), bindparam(f"fts_w{n}", type_=Float)), else_=0.0)
        for n, query in enumerate(queries)
    ]
    weight = reduce(lambda left, right: left + right, weights)
    rank = func.ts_rank(_SEARCH, _any(queries))
    ordered = statement.where(or_(*matched)).order_by(
        weight.desc(), rank.desc(), Ask.resolved_at.desc()
    )
    return DirectStatement(ordered)


def _any(queries: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
    """A tsquery matching what any of `queries` matches."""
    return reduce(lambda left, right: left.op("||")(right), queries)


def _tsquery(phrases: Sequence[ColumnElement[str]]) -> ColumnElement[Any]:
    """A tsquery matching any of `phrases`, each parsed by PostgreSQL as plain text."""
    config: ColumnElement[Any] = literal_column(_REGCONFIG)
    return _any([func.phraseto_tsquery(config, phrase) for phrase in phrases])
