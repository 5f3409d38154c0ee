"""Imports every model module so Base.metadata knows every table (Alembic, vault rotation)."""

from __future__ import annotations

from perpdesk.store import (  # noqa: F401
    accounts,
    notifications,
    orders,
    portfolio,
    rate_windows,
    sealed_secrets,
    ticket_claims,
    users,
)
