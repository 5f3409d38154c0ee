"""Rate windows: the throttles' and write pacing's moving windows in the database, so they hold
across the web processes of a cluster (store/rate_windows.py; used on PostgreSQL only).

Revision ID: 0011_rate_windows
Revises: 0010_conditional_intents
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_rate_windows"
down_revision = "0010_conditional_intents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_window_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("at", sa.Float(precision=53), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rate_window_entries"),
    )
    op.create_index("ix_rate_window_entries_key", "rate_window_entries", ["key"])
    op.create_index("ix_rate_window_entries_expires_at", "rate_window_entries", ["expires_at"])


def downgrade() -> None:
    op.drop_table("rate_window_entries")
