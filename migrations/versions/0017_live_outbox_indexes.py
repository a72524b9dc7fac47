"""the outbox's waiting and leased rows in partial indexes; a giver's day counted from one index

- outbox_messages(status, next_attempt_at) becomes two partial indexes of the rows still owed:
  the waiting rows (status, next_attempt_at, id) and the leased ones (status, lease_expires_at).
  Once SQLite's ANALYZE had seen an outbox of sent rows, its average of rows per status judged
  `status = 'sending'` the whole table, and it read every row to find the earliest lease: a
  claim took 4 ms, not 0.15, on a file of 17,000 rows, and more as it grew. A partial index's
  statistics count only its own rows, so a planner that knows the table picks it; `status`
  still leads each, so a planner that does not know it (a fresh SQLite file) prefers it to
  (status, finished_at).
- kudos(team_id, giver_id, created_at) gains undone_at: the ack's count of a giver's kudos
  today is read from it alone. Without it, SQLite with no statistics counted from the live
  index instead, through every kudos of the workspace that day.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GIVER_DAY = ["team_id", "giver_id", "created_at", "undone_at"]


def _where(status: str) -> dict[str, sa.TextClause]:
    clause = sa.text(f"status = '{status}'")
    return {"sqlite_where": clause, "postgresql_where": clause}


def upgrade() -> None:
    op.create_index(
        "ix_outbox_messages_waiting",
        "outbox_messages",
        ["status", "next_attempt_at", "id"],
        **_where("pending"),
    )
    op.create_index(
        "ix_outbox_messages_leased",
        "outbox_messages",
        ["status", "lease_expires_at"],
        **_where("sending"),
    )
    op.drop_index(op.f("ix_outbox_messages_status_next_attempt_at"), table_name="outbox_messages")
    op.create_index(op.f("ix_kudos_" + "_".join(GIVER_DAY)), "kudos", GIVER_DAY)
    op.drop_index(op.f("ix_kudos_team_id_giver_id_created_at"), table_name="kudos")


def downgrade() -> None:
    op.create_index(
        op.f("ix_kudos_team_id_giver_id_created_at"), "kudos", ["team_id", "giver_id", "created_at"]
    )
    op.drop_index(op.f("ix_kudos_" + "_".join(GIVER_DAY)), table_name="kudos")
    op.create_index(
        op.f("ix_outbox_messages_status_next_attempt_at"),
        "outbox_messages",
        ["status", "next_attempt_at"],
    )
    op.drop_index("ix_outbox_messages_leased", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_waiting", table_name="outbox_messages")
