"""Orders: the order intents table (client order id stored before the order is sent).

Revision ID: 0003_orders
Revises: 0002_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from perpdesk.store.base import UTCDateTime

revision = "0003_orders"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None


def _dec() -> sa.String:
    return sa.String(64)  # exact decimal strings (perpdesk.store.orders.DecimalText)


def upgrade() -> None:
    op.create_table(
        "order_intents",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(24), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("time_in_force", sa.String(16), nullable=False),
        sa.Column("size", _dec(), nullable=False),
        sa.Column("price", _dec(), nullable=True),
        sa.Column("leverage", _dec(), nullable=True),
        sa.Column("margin_mode", sa.String(16), nullable=True),
        sa.Column("take_profit", _dec(), nullable=True),
        sa.Column("stop_loss", _dec(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.String(500), nullable=True),
        sa.Column("settle_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_order_intents"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_order_intents_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["exchange_accounts.id"],
            name="fk_order_intents_account_id_exchange_accounts",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("account_id", "client_order_id", name="uq_order_intents_account_client_order_id"),
    )
    op.create_index(
        "ix_order_intents_user_account_created", "order_intents", ["user_id", "account_id", "created_at"]
    )
    op.create_index("ix_order_intents_status", "order_intents", ["status"])


def downgrade() -> None:
    op.drop_index("ix_order_intents_status", table_name="order_intents")
    op.drop_index("ix_order_intents_user_account_created", table_name="order_intents")
    op.drop_table("order_intents")
