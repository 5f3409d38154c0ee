"""Accounts: connected exchange accounts, Fast Connect grants, account audit log, notices.

Revision ID: 0002_accounts
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from perpdesk.store.base import UTCDateTime

revision = "0002_accounts"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "exchange_accounts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("market", sa.String(16), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("api_key_hash", sa.String(64), nullable=False),
        sa.Column("api_key_mask", sa.String(16), nullable=False),
        sa.Column("exchange_account_hash", sa.String(64), nullable=True),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("ip_whitelist", sa.JSON(), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("balances", sa.JSON(), nullable=False),
        sa.Column("last_check_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(64), nullable=True),
        sa.Column("next_check_at", UTCDateTime(), nullable=True),
        sa.Column("check_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exchange_accounts"),
        _user_fk("exchange_accounts"),
        sa.UniqueConstraint("api_key_hash", name="uq_exchange_accounts_api_key_hash"),
        sa.UniqueConstraint(
            "exchange", "exchange_account_hash", name="uq_exchange_accounts_exchange_account"
        ),
    )
    op.create_index("ix_exchange_accounts_user", "exchange_accounts", ["user_id"])
    op.create_index(
        "ix_exchange_accounts_status_next_check", "exchange_accounts", ["status", "next_check_at"]
    )

    op.create_table(
        "fast_connect_grants",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("sealed_verifier", sa.LargeBinary(), nullable=False),
        sa.Column("redirect_uri", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome_code", sa.String(64), nullable=True),
        sa.Column("account_id", sa.String(32), nullable=True),
        sa.Column("sealed_issued_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_fast_connect_grants"),
        _user_fk("fast_connect_grants"),
        sa.UniqueConstraint("state_hash", name="uq_fast_connect_grants_state_hash"),
    )
    op.create_index("ix_fast_connect_grants_status", "fast_connect_grants", ["status"])

    op.create_table(
        "account_audit_log",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account_audit_log"),
        _user_fk("account_audit_log"),
    )
    op.create_index("ix_account_audit_log_user_at", "account_audit_log", ["user_id", "at"])

    op.create_table(
        "account_notices",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account_notices"),
        _user_fk("account_notices"),
    )
    op.create_index("ix_account_notices_user", "account_notices", ["user_id", "read"])


def downgrade() -> None:
    op.drop_index("ix_account_notices_user", table_name="account_notices")
    op.drop_table("account_notices")
    op.drop_index("ix_account_audit_log_user_at", table_name="account_audit_log")
    op.drop_table("account_audit_log")
    op.drop_index("ix_fast_connect_grants_status", table_name="fast_connect_grants")
    op.drop_table("fast_connect_grants")
    op.drop_index("ix_exchange_accounts_status_next_check", table_name="exchange_accounts")
    op.drop_index("ix_exchange_accounts_user", table_name="exchange_accounts")
    op.drop_table("exchange_accounts")
