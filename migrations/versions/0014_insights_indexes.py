"""insights indexes: the replies of a period, for the insights people page

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


def upgrade() -> None:
    op.create_index(
        op.f("ix_ask_replies_team_id_created_at"), "ask_replies", ["team_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ask_replies_team_id_created_at"), table_name="ask_replies")
