"""scheduler settings and nudges: existing workspaces get the defaults

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 06:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ask_nudges",
        sa.Column("ask_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ask_id"], ["asks.id"], name=op.f("fk_ask_nudges_ask_id_asks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_ask_nudges_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ask_id", "kind", name=op.f("pk_ask_nudges")),
    )
    with op.batch_alter_table("asks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snoozed_until", sa.DateTime(), nullable=True))

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirm_asked_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_offers_active_confirmed_at"), ["active", "confirmed_at"], unique=False
        )

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("share_private_asks", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("digest_grace_hours", sa.SmallInteger(), nullable=False, server_default="24")
        )
        batch_op.add_column(
            sa.Column("nudges_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("nudge_first_hours", sa.SmallInteger(), nullable=False, server_default="4")
        )
        batch_op.add_column(
            sa.Column("nudge_second_hours", sa.SmallInteger(), nullable=False, server_default="24")
        )
        batch_op.add_column(
            sa.Column("nudge_last_hours", sa.SmallInteger(), nullable=False, server_default="40")
        )
        batch_op.add_column(
            sa.Column("stale_after_days", sa.SmallInteger(), nullable=False, server_default="3")
        )
        batch_op.add_column(
            sa.Column("follow_up_hours", sa.SmallInteger(), nullable=False, server_default="24")
        )
        batch_op.add_column(
            sa.Column("offer_confirm_days", sa.SmallInteger(), nullable=False, server_default="90")
        )
        batch_op.add_column(
            sa.Column("offer_grace_days", sa.SmallInteger(), nullable=False, server_default="14")
        )


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("offer_grace_days")
        batch_op.drop_column("offer_confirm_days")
        batch_op.drop_column("follow_up_hours")
        batch_op.drop_column("stale_after_days")
        batch_op.drop_column("nudge_last_hours")
        batch_op.drop_column("nudge_second_hours")
        batch_op.drop_column("nudge_first_hours")
        batch_op.drop_column("nudges_enabled")
        batch_op.drop_column("digest_grace_hours")
        batch_op.drop_column("share_private_asks")

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offers_active_confirmed_at"))
        batch_op.drop_column("confirm_asked_at")

    with op.batch_alter_table("asks", schema=None) as batch_op:
        batch_op.drop_column("snoozed_until")

    op.drop_table("ask_nudges")
