"""Equity passes: one sample per account and pass (the workers store their own mirrors' and the
installation's pass the rest, and may race), and an index for the purge of old passes.

Revision ID: 0012_equity_passes
Revises: 0011_rate_windows
"""

from __future__ import annotations

from alembic import op

revision = "0012_equity_passes"
down_revision = "0011_rate_windows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # none were made twice before, but a unique index must not fail on a table that has some
    op.execute(
        "DELETE FROM equity_snapshots WHERE id IN (SELECT s.id FROM equity_snapshots s "
        "JOIN equity_snapshots t ON t.account_id = s.account_id AND t.taken_at = s.taken_at "
        "AND t.id < s.id)"
    )
    op.create_index("ux_equity_snapshots_account_taken", "equity_snapshots", ["account_id", "taken_at"],
                    unique=True)
    op.create_index("ix_equity_snapshots_taken", "equity_snapshots", ["taken_at"])


def downgrade() -> None:
    op.drop_index("ix_equity_snapshots_taken", table_name="equity_snapshots")
    op.drop_index("ux_equity_snapshots_account_taken", table_name="equity_snapshots")
