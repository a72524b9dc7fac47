"""digest reads from indexes: two of the digest's indexes carry the column it reads next

- asks(team_id, status, created_at) gains `channel_is_private`: the digest counts the live asks
  by privacy from the index alone instead of visiting each live ask's row.
- kudos_recipients(team_id, giver_id, recipient_id) gains `kudos_id`: "did a ever thank b?"
  finds the kudos to check from the index alone instead of visiting the recipient row first.

Each new index has the old one's leading columns, so it serves every query the old one did and
replaces it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, old columns, column added at the end)
WIDENED = [
    ("asks", ["team_id", "status", "created_at"], "channel_is_private"),
    ("kudos_recipients", ["team_id", "giver_id", "recipient_id"], "kudos_id"),
]


def _name(table: str, columns: list[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table, columns, added in WIDENED:
        op.create_index(_name(table, [*columns, added]), table, [*columns, added], unique=False)
        op.drop_index(_name(table, columns), table_name=table)


def downgrade() -> None:
    for table, columns, added in WIDENED:
        op.create_index(_name(table, columns), table, columns, unique=False)
        op.drop_index(_name(table, [*columns, added]), table_name=table)
