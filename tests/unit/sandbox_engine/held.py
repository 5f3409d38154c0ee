"""position-v2 lists a zero row for each side without a position when asked for one symbol:
tests that look at the held positions filter those out."""

from __future__ import annotations

from typing import Any


def held(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["current_amount"] != "0"]


def direction(row: dict[str, Any]) -> str:
    """long / short, in hedge and one-way mode alike (one-way rows say "both")."""
    return "long" if row["position_type"] == 1 else "short"
