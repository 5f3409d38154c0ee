"""Conditional intents: trigger (plan) and trailing orders are order intents too, written before
they are sent; their terms (trigger or activation price, callback rate, what the trigger watches)
are what an unanswered one is matched by at the exchange.

Revision ID: 0010_conditional_intents
Revises: 0009_ticket_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_conditional_intents"
down_revision = "0009_ticket_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_intents") as batch:
        batch.add_column(sa.Column("trigger_price", sa.String(64), nullable=True))
        batch.add_column(sa.Column("callback_rate", sa.String(64), nullable=True))
        batch.add_column(sa.Column("price_type", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_intents") as batch:
        batch.drop_column("price_type")
        batch.drop_column("callback_rate")
        batch.drop_column("trigger_price")
