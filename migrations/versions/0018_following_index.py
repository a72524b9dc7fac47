"""the outbox's followers in a partial index of their own

- outbox_messages(team_id, after_key) becomes a partial index of the rows that follow another
  (`after_key IS NOT NULL`). Most rows follow none: once SQLite's ANALYZE had counted them all
  under one (team, NULL) key, it judged every (team, key) looked up a large share of the table
  and read the whole outbox to wake a post's followers. The partial index counts only followers,
  and every statement that reads it compares `after_key` with a value, which implies the
  index's condition on both backends.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    following = sa.text("after_key IS NOT NULL")
    op.create_index(
        "ix_outbox_messages_following",
        "outbox_messages",
        ["team_id", "after_key"],
        sqlite_where=following,
        postgresql_where=following,
    )
    op.drop_index(op.f("ix_outbox_messages_team_id_after_key"), table_name="outbox_messages")


def downgrade() -> None:
    op.create_index(
        op.f("ix_outbox_messages_team_id_after_key"), "outbox_messages", ["team_id", "after_key"]
    )
    op.drop_index("ix_outbox_messages_following", table_name="outbox_messages")
