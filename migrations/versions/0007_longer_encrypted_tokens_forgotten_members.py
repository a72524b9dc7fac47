"""longer encrypted tokens; forgotten members

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 07:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forgotten_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("slack_bots", schema=None) as batch_op:
        batch_op.alter_column(
            "bot_token",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.String(length=1000),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "bot_refresh_token",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.String(length=1000),
            existing_nullable=True,
        )

    with op.batch_alter_table("slack_installations", schema=None) as batch_op:
        batch_op.alter_column(
            "bot_token",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.String(length=1000),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "bot_refresh_token",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.String(length=1000),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "user_token",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.String(length=1000),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "user_refresh_token",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.String(length=1000),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("slack_installations", schema=None) as batch_op:
        batch_op.alter_column(
            "user_refresh_token",
            existing_type=sa.String(length=1000),
            type_=sa.VARCHAR(length=200),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "user_token",
            existing_type=sa.String(length=1000),
            type_=sa.VARCHAR(length=200),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "bot_refresh_token",
            existing_type=sa.String(length=1000),
            type_=sa.VARCHAR(length=200),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "bot_token",
            existing_type=sa.String(length=1000),
            type_=sa.VARCHAR(length=200),
            existing_nullable=True,
        )

    with op.batch_alter_table("slack_bots", schema=None) as batch_op:
        batch_op.alter_column(
            "bot_refresh_token",
            existing_type=sa.String(length=1000),
            type_=sa.VARCHAR(length=200),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "bot_token",
            existing_type=sa.String(length=1000),
            type_=sa.VARCHAR(length=200),
            existing_nullable=True,
        )

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("forgotten_at")
