"""ask matches: who was told privately about an ask

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 02:01:23.742656
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ask_matches",
        sa.Column("ask_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("matched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ask_id"], ["asks.id"], name=op.f("fk_ask_matches_ask_id_asks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_ask_matches_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ask_id", "user_id", name=op.f("pk_ask_matches")),
    )
    with op.batch_alter_table("ask_matches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ask_matches_team_id_user_id_matched_at"),
            ["team_id", "user_id", "matched_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ask_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ask_matches_team_id_user_id_matched_at"))

    op.drop_table("ask_matches")
