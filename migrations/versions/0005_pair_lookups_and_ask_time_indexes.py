"""pair lookups and ask time indexes: the giver on each kudos recipient, the asker on each
credited helper (backfilled), and indexes for the digest's weekly reads

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # New columns are filled from the rows they repeat, then made required.
    with op.batch_alter_table("ask_helpers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("asker_id", sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE ask_helpers SET asker_id = "
        "(SELECT asks.asker_id FROM asks WHERE asks.id = ask_helpers.ask_id)"
    )
    with op.batch_alter_table("ask_helpers", schema=None) as batch_op:
        batch_op.alter_column("asker_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_ask_helpers_team_id_helper_id_asker_id"),
            ["team_id", "helper_id", "asker_id"],
            unique=False,
        )

    with op.batch_alter_table("kudos_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("giver_id", sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE kudos_recipients SET giver_id = "
        "(SELECT kudos.giver_id FROM kudos WHERE kudos.id = kudos_recipients.kudos_id)"
    )
    with op.batch_alter_table("kudos_recipients", schema=None) as batch_op:
        batch_op.alter_column("giver_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_kudos_recipients_team_id_giver_id_recipient_id"),
            ["team_id", "giver_id", "recipient_id"],
            unique=False,
        )

    with op.batch_alter_table("asks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_asks_team_id_answered_at"), ["team_id", "answered_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_asks_team_id_claimed_at"), ["team_id", "claimed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_asks_team_id_status_created_at"),
            ["team_id", "status", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("kudos_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kudos_recipients_team_id_giver_id_recipient_id"))
        batch_op.drop_column("giver_id")

    with op.batch_alter_table("asks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asks_team_id_status_created_at"))
        batch_op.drop_index(batch_op.f("ix_asks_team_id_claimed_at"))
        batch_op.drop_index(batch_op.f("ix_asks_team_id_answered_at"))

    with op.batch_alter_table("ask_helpers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ask_helpers_team_id_helper_id_asker_id"))
        batch_op.drop_column("asker_id")
