"""The column types and column builders the models share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import MappedColumn, mapped_column, relationship

from app.store.types import Id

TEAM = String(32)
USER = String(32)
CHANNEL = String(32)
TS = String(32)


def team_column(*, primary_key: bool = False) -> MappedColumn[str]:
    """The workspace a row belongs to: every query filters on it, and the row goes with it."""
    owner = ForeignKey("workspaces.team_id", ondelete="CASCADE")
    return mapped_column(TEAM, owner, primary_key=primary_key)


def serial_id() -> MappedColumn[int]:
    """A primary key the database numbers, never reusing a number (see `ids_never_reused`)."""
    return mapped_column(Id, primary_key=True, autoincrement=True)


def part_of(parent: str) -> MappedColumn[int]:
    """A key column naming the row (`"asks.id"`) this one is part of, and goes with."""
    return mapped_column(Id, ForeignKey(parent, ondelete="CASCADE"), primary_key=True)


def parts(back_populates: str) -> Any:
    """The rows that are `part_of` this one, loaded with it and deleted with it."""
    return relationship(
        back_populates=back_populates, cascade="all, delete-orphan", lazy="selectin"
    )
