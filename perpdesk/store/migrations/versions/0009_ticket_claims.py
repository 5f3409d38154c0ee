"""Ticket claims: the tickets being sent, in the database so every process sees them (one order
per intention across the web app and a CLI run beside it).

Revision ID: 0009_ticket_claims
Revises: 0008_account_venue
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from perpdesk.store.base import UTCDateTime

revision = "0009_ticket_claims"
down_revision = "0008_account_venue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_claims",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("ticket_key", sa.String(64), nullable=False),
        sa.Column("slot", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(24), nullable=False),
        sa.Column("size", sa.String(64), nullable=True),
        sa.Column("price", sa.String(64), nullable=True),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_claims"),
        sa.UniqueConstraint("account_id", "ticket_key", "slot", name="uq_ticket_claims_ticket"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_ticket_claims_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["exchange_accounts.id"],
            name="fk_ticket_claims_account_id_exchange_accounts",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("ticket_claims")
