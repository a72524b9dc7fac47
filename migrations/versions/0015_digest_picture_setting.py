"""the digest's help-network picture: its workspace setting, and the files the outbox uploads

`workspaces.digest_picture` says whether the weekly digest carries the week's help-network
picture (on unless a workspace turns it off). `outbox_files` holds the bytes of a file an outbox
row owes Slack an upload of (the picture), apart from the row, so claims never read them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_picture", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.create_table(
        "outbox_files",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f("fk_outbox_files_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_files")),
        sa.UniqueConstraint(
            "team_id", "dedupe_key", name=op.f("uq_outbox_files_team_id_dedupe_key")
        ),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("outbox_files")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("digest_picture")
