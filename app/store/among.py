"""A column among many values, sent as one bind parameter however many values there are.

An `IN (...)` list binds one parameter per value: a batch of asks looks up thousands of topic
spellings and people, past what SQLite accepts in one statement, and every list length is a new
statement text that PostgreSQL parses and plans again. One array parameter keeps one statement
(built and compiled once, prepared once on PostgreSQL) and still seeks the column's index for
each value: `= ANY(array)` on PostgreSQL, `IN (SELECT value FROM json_each(...))` on SQLite.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Dialect,
    Integer,
    String,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator, TypeEngine

from app import json_codec


class _Listed(TypeDecorator[Collection[Any]]):
    """Values bound as one parameter: an array of `item` on PostgreSQL, a JSON array on SQLite."""

    impl = String
    cache_ok = True
    item: TypeEngine[Any] = String()

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """An array of the items' type on PostgreSQL, text elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(self.item))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Collection[Any] | None, dialect: Dialect) -> Any:
        """The values, sorted (one order for one set), as the dialect's parameter."""
        listed = sorted(value or ())
        return listed if dialect.name == "postgresql" else json_codec.dumps(listed)


class Strings(_Listed):
    """Strings bound as one parameter."""

    cache_ok = True
    item = String()


class Integers(_Listed):
    """Integers (ids) bound as one parameter."""

    cache_ok = True
    item = BigInteger()


def among(dialect: str, column: InstrumentedAttribute[Any], name: str) -> ColumnElement[bool]:
    """`column` equals one of the values bound to parameter `name` (a collection of strings, or
    of integers for an integer column), on `dialect` ("sqlite" or "postgresql")."""
    listed = Integers() if isinstance(column.type, Integer) else Strings()
    values = bindparam(name, type_=listed)
    if dialect == "postgresql":
        return column == any_(values)
    return column.in_(select(func.json_each(values).table_valued("value").c.value))
