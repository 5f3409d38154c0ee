"""Order settling: the signed timestamp and decision time of each order intent, and the
order_changes table (cancels, amends, TP/SL changes whose answer was lost).

Revision ID: 0005_order_settling
Revises: 0004_withdraw_opt_in
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from perpdesk.store.base import UTCDateTime

revision = "0005_order_settling"
down_revision = "0004_withdraw_opt_in"
branch_labels = None
depends_on = None


def _dec() -> sa.String:
    return sa.String(64)  # exact decimal strings (perpdesk.store.orders.DecimalText)


def upgrade() -> None:
    with op.batch_alter_table("order_intents") as batch:
        batch.add_column(sa.Column("sent_timestamp_ms", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("decided_after", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("next_check_at", UTCDateTime(), nullable=True))
    op.create_table(
        "order_changes",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("client_order_id", sa.String(64), nullable=True),
        sa.Column("side", sa.String(16), nullable=True),
        sa.Column("price", _dec(), nullable=True),
        sa.Column("size", _dec(), nullable=True),
        sa.Column("take_profit", _dec(), nullable=True),
        sa.Column("stop_loss", _dec(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.String(500), nullable=True),
        sa.Column("settle_attempts", sa.Integer(), nullable=False),
        sa.Column("decided_after", UTCDateTime(), nullable=True),
        sa.Column("next_check_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_order_changes"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_order_changes_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["exchange_accounts.id"],
            name="fk_order_changes_account_id_exchange_accounts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_order_changes_status", "order_changes", ["status"])
    op.create_index("ix_order_changes_account_created", "order_changes", ["account_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_order_changes_account_created", table_name="order_changes")
    op.drop_index("ix_order_changes_status", table_name="order_changes")
    op.drop_table("order_changes")
    with op.batch_alter_table("order_intents") as batch:
        batch.drop_column("next_check_at")
        batch.drop_column("decided_after")
        batch.drop_column("sent_timestamp_ms")
