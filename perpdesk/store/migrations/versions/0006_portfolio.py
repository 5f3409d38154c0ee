"""Portfolio and notifications: equity snapshots, notifications, notification settings,
webhook deliveries.

Revision ID: 0006_portfolio
Revises: 0005_order_settling
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from perpdesk.store.base import UTCDateTime

revision = "0006_portfolio"
down_revision = "0005_order_settling"
branch_labels = None
depends_on = None


def _dec() -> sa.String:
    return sa.String(64)  # exact decimal strings (perpdesk.store.orders.DecimalText)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "equity_snapshots",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
        sa.Column("equity", _dec(), nullable=False),
        sa.Column("available", _dec(), nullable=False),
        sa.Column("margin", _dec(), nullable=False),
        sa.Column("unrealized_pnl", _dec(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_equity_snapshots"),
        _user_fk("equity_snapshots"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["exchange_accounts.id"],
            name="fk_equity_snapshots_account_id_exchange_accounts", ondelete="CASCADE",
        ),
    )
    op.create_index("ix_equity_snapshots_user_taken", "equity_snapshots", ["user_id", "taken_at"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.String(1000), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        _user_fk("notifications"),
        sa.UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe"),
    )
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at"])
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("liquidation_pct", _dec(), nullable=True),
        sa.Column("webhook_url", sa.String(500), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_notification_settings"),
        _user_fk("notification_settings"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("notification_id", sa.String(32), nullable=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("gave_up", sa.Boolean(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        _user_fk("webhook_deliveries"),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["delivered", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("notification_settings")
    op.drop_table("notifications")
    op.drop_table("equity_snapshots")
