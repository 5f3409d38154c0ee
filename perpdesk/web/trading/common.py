"""Shared bits of the trading routers: the account services' deps and exact number display."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from perpdesk.core.money import fmt
from perpdesk.web.accounts.common import DepsDep, get_deps

__all__ = ["DepsDep", "exact", "get_deps", "utc_ms"]


def utc_ms(value: object) -> str:
    """Exchange milliseconds as 'YYYY-MM-DD HH:MM:SS' UTC; 0/None as an em dash."""
    if not isinstance(value, int) or value <= 0:
        return "—"
    return datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def exact(value: object, places: int | None = None) -> str:
    """A Decimal as its exact string (no exponent, no float); None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        if places is not None:
            return f"{value.quantize(Decimal(1).scaleb(-places)):f}"
        return fmt(value)
    return str(value)
