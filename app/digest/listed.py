"""Lists of ids sent to the database as one bound parameter, read back as a table.

A digest asks about thousands of people and pairs at once. An IN list takes one parameter per
item (a new statement text for every length, and bounds on the count), so it would be split
into many statements; a single parameter holds any number of rows and keeps one statement:
arrays through `unnest` on PostgreSQL, a JSON array through `json_each` on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, String, column, text

USER = String(32)


def listed(connection: Connection, name: str, **columns: Sequence[str]) -> Any:
    """A CTE called `name` whose rows are the `columns` zipped (all of equal length), as text."""
    # Only the column names are spliced into the SQL: keyword arguments, so Python identifiers
    # written in our code (S608 below). Every value is bound.
    names = list(columns)
    if connection.dialect.name == "postgresql":
        arrays = ", ".join(f"CAST(:{n} AS varchar[])" for n in names)
        source = text(
            f"SELECT {', '.join(names)} FROM unnest({arrays}) AS rows({', '.join(names)})"  # noqa: S608
        ).bindparams(**{n: list(values) for n, values in columns.items()})
    elif len(names) == 1:
        one = f"SELECT value AS {names[0]} FROM json_each(:rows)"  # noqa: S608
        source = text(one).bindparams(rows=json.dumps(list(columns[names[0]])))
    else:
        picks = ", ".join(f"json_extract(value, '$[{i}]') AS {n}" for i, n in enumerate(names))
        rows = json.dumps(list(zip(*columns.values(), strict=True)))
        many = f"SELECT {picks} FROM json_each(:rows)"  # noqa: S608
        source = text(many).bindparams(rows=rows)
    return source.columns(*(column(n, USER) for n in names)).cte(name)
