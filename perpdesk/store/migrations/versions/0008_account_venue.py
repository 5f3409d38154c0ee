"""Accounts: the venue each key was connected against (REST and WebSocket base URLs).

Existing rows stay NULL here and get the configured venue of their exchange at the platform's next
start (`Services.record_venues`): a migration does not know the configuration.

Revision ID: 0008_account_venue
Revises: 0007_password_resets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_account_venue"
down_revision = "0007_password_resets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_accounts") as batch:
        batch.add_column(sa.Column("api_url", sa.String(300), nullable=True))
        batch.add_column(sa.Column("ws_url", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exchange_accounts") as batch:
        batch.drop_column("ws_url")
        batch.drop_column("api_url")
