"""backlog counts from the index: the digest's index on live asks carries their privacy

The digest counts the workspace's live asks by privacy; with `channel_is_private` at the end of
asks(team_id, status, created_at) the count is read from the index alone, instead of visiting
each live ask's row. The new index serves every query the old one did (same leading columns),
so it replaces it.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-05 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_asks_team_id_status_created_at_channel_is_private",
        "asks",
        ["team_id", "status", "created_at", "channel_is_private"],
        unique=False,
    )
    op.drop_index("ix_asks_team_id_status_created_at", table_name="asks")


def downgrade() -> None:
    op.create_index(
        "ix_asks_team_id_status_created_at",
        "asks",
        ["team_id", "status", "created_at"],
        unique=False,
    )
    op.drop_index("ix_asks_team_id_status_created_at_channel_is_private", table_name="asks")
