"""sign-in links and web sessions: who may open the insights page

`sign_in_links` holds the one-time links `/kudos insights` hands out (the hash of the secret, its
person, expiry and when it was spent); `web_sessions` holds the signed-in browsers (the hash of the
cookie's secret, its person, the CSRF token, expiry). Both go with their workspace.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owned(table: str) -> list[sa.Constraint]:
    """The key and the workspace it goes with, named as the models' convention names them."""
    return [
        sa.PrimaryKeyConstraint("token_hash", name=op.f(f"pk_{table}")),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["workspaces.team_id"],
            name=op.f(f"fk_{table}_team_id_workspaces"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "sign_in_links",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        *_owned("sign_in_links"),
    )
    op.create_index(op.f("ix_sign_in_links_expires_at"), "sign_in_links", ["expires_at"])
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        *_owned("web_sessions"),
    )
    op.create_index(op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_table("sign_in_links")
