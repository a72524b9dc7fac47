"""insights indexes: a period's live kudos from one index, and a period's replies

- kudos(team_id, created_at, undone_at, revoked_at, id, giver_id, channel_is_private,
  channel_id), named ix_kudos_team_id_created_at_live: the insights pages count a period's live
  kudos and join them to their recipients without visiting each kudos row (a quarter of the
  bench's 1,000,000-kudos workspace is 54,000 rows). It has the leading columns of
  ix_kudos_team_id_created_at, which it could replace; that one is kept for now.
- ask_replies(team_id, created_at): the unsung helpers are read from a period's thread replies;
  until now replies were only found by their ask.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 00:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


LIVE_KUDOS = [
    "team_id",
    "created_at",
    "undone_at",
    "revoked_at",
    "id",
    "giver_id",
    "channel_is_private",
    "channel_id",
]


def upgrade() -> None:
    op.create_index("ix_kudos_team_id_created_at_live", "kudos", LIVE_KUDOS)
    op.create_index(
        op.f("ix_ask_replies_team_id_created_at"), "ask_replies", ["team_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_kudos_team_id_created_at_live", table_name="kudos")
    op.drop_index(op.f("ix_ask_replies_team_id_created_at"), table_name="ask_replies")
