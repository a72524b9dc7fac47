"""a period's credited help from one index; one fewer index to write per kudos

- ask_helpers(team_id, credited_at) becomes (team_id, credited_at, ask_id, helper_id, asker_id):
  the digest's new pairs and the insights pages read a period's credited help from the index
  alone. Without the people in it, PostgreSQL judged a scan of every credit row (in parallel)
  cheaper than visiting each row the index found, and chose it: 77 ms of the digest's 1,000,000-
  kudos bench went to that scan and to starting its worker.
- kudos(team_id, created_at) is dropped: ix_kudos_team_id_created_at_live (0014) starts with the
  same columns and answers every read it did, and each kudos written updated both.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 03:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CREDIT = ["team_id", "credited_at", "ask_id", "helper_id", "asker_id"]


def upgrade() -> None:
    op.create_index(op.f("ix_ask_helpers_" + "_".join(CREDIT)), "ask_helpers", CREDIT)
    op.drop_index(op.f("ix_ask_helpers_team_id_credited_at"), table_name="ask_helpers")
    op.drop_index(op.f("ix_kudos_team_id_created_at"), table_name="kudos")


def downgrade() -> None:
    op.create_index(op.f("ix_kudos_team_id_created_at"), "kudos", ["team_id", "created_at"])
    op.create_index(
        op.f("ix_ask_helpers_team_id_credited_at"), "ask_helpers", ["team_id", "credited_at"]
    )
    op.drop_index(op.f("ix_ask_helpers_" + "_".join(CREDIT)), table_name="ask_helpers")
