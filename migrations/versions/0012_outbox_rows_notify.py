"""outbox rows notify: inserting an outbox row notifies `reciprocity_outbox` (PostgreSQL)

A row-level AFTER INSERT trigger on `outbox_messages` calls `pg_notify('reciprocity_outbox', '')`,
so the delivery workers of other processes (app/delivery/wakeup.py LISTENs there) wake whenever a
transaction queued something, with no statement of the bot's own: the NOTIFY was a round trip on
every ack. PostgreSQL delivers a transaction's notifications when it commits, none when it rolls
back, and folds identical ones into one, so a transaction wakes them once however many rows it
queued; a row skipped by ON CONFLICT DO NOTHING is not inserted and fires nothing. SQLite serves
one process (its commits ring the in-process doorbell): nothing to do there.

The channel's name is written out here, as a migration must not change with the code; it is
`app.delivery.outbox.NOTIFY_CHANNEL`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 21:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('reciprocity_outbox', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_queued AFTER INSERT ON outbox_messages "
        "FOR EACH ROW EXECUTE FUNCTION outbox_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER outbox_queued ON outbox_messages")
    op.execute("DROP FUNCTION outbox_notify()")
