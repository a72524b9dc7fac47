"""outbox rows notify only when they wait for a claim (PostgreSQL)

The trigger of 0012 notifies `reciprocity_outbox` for every row inserted, so that the workers of
other processes wake to claim it. A row this process's worker leased as it was queued
(`app.delivery.handoff`) is inserted `sending`, already its worker's: no one is to claim it, and
its notification only woke every listener, this process's own among them, for nothing. The
trigger now fires only for rows inserted `pending`.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 12:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _trigger("WHEN (NEW.status = 'pending') ")


def downgrade() -> None:
    _trigger("")


def _trigger(when: str) -> None:
    """Make the outbox's insert trigger (0012's) fire for the rows `when` says (all if empty)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER outbox_queued ON outbox_messages")
    op.execute(
        "CREATE TRIGGER outbox_queued AFTER INSERT ON outbox_messages "
        f"FOR EACH ROW {when}EXECUTE FUNCTION outbox_notify()"
    )
