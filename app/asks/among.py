"""A column among many values, sent as one bind parameter however many values there are.

An `IN (...)` list binds one parameter per value: a batch of asks looks up thousands of topic
spellings and people, past what SQLite accepts in one statement, and every list length is a new
statement text that PostgreSQL parses and plans again. One array parameter keeps one statement
(prepared once) and still seeks the column's index for each value.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, String, any_, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session


def among(
    session: Session, column: InstrumentedAttribute[Any], values: Collection[str]
) -> ColumnElement[bool]:
    """`column` equals one of `values` (strings), as one parameter on either backend."""
    listed = sorted(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(listed, ARRAY(String)))
    each = func.json_each(literal(json.dumps(listed))).table_valued("value")
    return column.in_(select(each.c.value))
