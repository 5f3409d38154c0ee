"""Shared bits of the trading routers: the account services' deps and exact number display."""

from __future__ import annotations

from decimal import Decimal

from perpdesk.core.money import fmt
from perpdesk.web.accounts.common import DepsDep, get_deps

__all__ = ["DepsDep", "exact", "get_deps"]


def exact(value: object, places: int | None = None) -> str:
    """A Decimal as its exact string (no exponent, no float); None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        if places is not None:
            return f"{value.quantize(Decimal(1).scaleb(-places)):f}"
        return fmt(value)
    return str(value)
