"""Imports every model module so Base.metadata knows every table (Alembic, vault rotation)."""

from __future__ import annotations

from perpdesk.store import accounts, notifications, orders, portfolio, sealed_secrets, users  # noqa: F401
