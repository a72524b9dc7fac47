"""introductions: /intro with double opt-in, each person's answer, suggested introductions

Three tables and three workspace settings (days before an unanswered introduction expires, a
connector's daily limit, whether the bot suggests introductions). Existing workspaces get the
defaults through server defaults.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 00:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intro_suggestions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("suggested_to", sa.String(length=32), nullable=False),
        sa.Column("first_id", sa.String(length=32), nullable=False),
        sa.Column("second_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_intro_suggestions_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intro_suggestions")),
        sa.UniqueConstraint(
            "team_id",
            "suggested_to",
            "first_id",
            "second_id",
            name=op.f("uq_intro_suggestions_team_id_suggested_to_first_id_second_id"),
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("intro_suggestions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intro_suggestions_team_id_suggested_to_created_at"),
            ["team_id", "suggested_to", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_intro_suggestions_team_id_created_at"),
            ["team_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "introductions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("connector_id", sa.String(length=32), nullable=False),
        sa.Column("first_id", sa.String(length=32), nullable=False),
        sa.Column("second_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("channel_is_private", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("connected_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("group_channel_id", sa.String(length=32), nullable=True),
        sa.Column("group_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_introductions_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_introductions")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_introductions_status_connected_at"),
            ["status", "connected_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_introductions_status_expires_at"), ["status", "expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_introductions_team_id_connected_at"),
            ["team_id", "connected_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_introductions_team_id_connector_id_created_at"),
            ["team_id", "connector_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_introductions_team_id_first_id_second_id_created_at"),
            ["team_id", "first_id", "second_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "intro_people",
        sa.Column("intro_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("followed_up_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["intro_id"],
            ["introductions.id"],
            name=op.f("fk_intro_people_intro_id_introductions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_intro_people_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("intro_id", "user_id", name=op.f("pk_intro_people")),
    )
    with op.batch_alter_table("intro_people", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intro_people_team_id_user_id"), ["team_id", "user_id"], unique=False
        )

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("intro_expiry_days", sa.SmallInteger(), nullable=False, server_default="7")
        )
        batch_op.add_column(
            sa.Column("intro_daily_limit", sa.SmallInteger(), nullable=False, server_default="5")
        )
        batch_op.add_column(
            sa.Column("intro_suggestions", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("intro_suggestions")
        batch_op.drop_column("intro_daily_limit")
        batch_op.drop_column("intro_expiry_days")

    with op.batch_alter_table("intro_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intro_people_team_id_user_id"))

    op.drop_table("intro_people")
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_introductions_team_id_first_id_second_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_introductions_team_id_connector_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_introductions_team_id_connected_at"))
        batch_op.drop_index(batch_op.f("ix_introductions_status_expires_at"))
        batch_op.drop_index(batch_op.f("ix_introductions_status_connected_at"))

    op.drop_table("introductions")
    with op.batch_alter_table("intro_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intro_suggestions_team_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_intro_suggestions_team_id_suggested_to_created_at"))

    op.drop_table("intro_suggestions")
