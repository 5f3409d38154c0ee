"""Accounts: the user's explicit acceptance of a key that can withdraw (refused by default).

Revision ID: 0004_withdraw_opt_in
Revises: 0003_orders
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_withdraw_opt_in"
down_revision = "0003_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_accounts") as batch:
        batch.add_column(
            sa.Column("withdraw_allowed", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_accounts") as batch:
        batch.drop_column("withdraw_allowed")
