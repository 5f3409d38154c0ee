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

# One round trip per acquisition: lock the key (transaction-scoped), drop its expired entries,
# count the window and insert when `amount` more fit. Returns 0 when taken, else the seconds
# until they would fit (the oldest entries holding the excess leave the window).
ACQUIRE_FUNCTION = """
CREATE OR REPLACE FUNCTION perpdesk_rate_acquire(
    p_key text, p_limit integer, p_expiry float8, p_amount integer
) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    now_s float8 := extract(epoch from clock_timestamp());
    used integer;
    excess integer;
    row record;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_key, 7121));
    DELETE FROM rate_window_entries WHERE key = p_key AND expires_at <= now_s;
    SELECT coalesce(sum(amount), 0) INTO used FROM rate_window_entries
        WHERE key = p_key AND at > now_s - p_expiry;
    IF used + p_amount <= p_limit THEN
        INSERT INTO rate_window_entries (key, at, amount, expires_at)
            VALUES (p_key, now_s, p_amount, now_s + p_expiry);
        RETURN 0;
    END IF;
    excess := used + p_amount - p_limit;
    FOR row IN SELECT at, amount FROM rate_window_entries
            WHERE key = p_key AND at > now_s - p_expiry ORDER BY at, id LOOP
        excess := excess - row.amount;
        IF excess <= 0 THEN
            RETURN greatest(0.001, row.at + p_expiry - now_s);
        END IF;
    END LOOP;
    RETURN 0.001;
END $$;
"""


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
    if op.get_bind().dialect.name == "postgresql":  # the shared windows serve PostgreSQL clusters only
        op.execute(ACQUIRE_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS perpdesk_rate_acquire(text, integer, float8, integer)")
    op.drop_table("rate_window_entries")
