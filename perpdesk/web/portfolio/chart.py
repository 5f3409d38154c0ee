"""A small server-side SVG line chart (no script, so it fits a strict CSP): equity and uPnL over
time, scaled into a fixed viewBox. Pixel coordinates only; the numbers shown are exact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from perpdesk.services.equity_history import EquityPoint

WIDTH, HEIGHT, PAD = 600, 180, 8


@dataclass(frozen=True)
class Line:
    path: str
    low: Decimal
    high: Decimal


def _line(values: Sequence[Decimal]) -> Line:
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    n = len(values)
    step = Decimal(WIDTH - 2 * PAD) / max(n - 1, 1)
    inner = Decimal(HEIGHT - 2 * PAD)
    pts = []
    for i, v in enumerate(values):
        x = Decimal(PAD) + step * i
        y = Decimal(PAD) + inner - (v - low) / span * inner
        pts.append(f"{x.quantize(Decimal('0.1'))},{y.quantize(Decimal('0.1'))}")
    return Line("M" + " L".join(pts), low, high)


@dataclass(frozen=True)
class Chart:
    equity: Line
    pnl: Line
    first: str
    last: str
    count: int


def chart(points: Sequence[EquityPoint]) -> Chart | None:
    if not points:
        return None
    return Chart(
        equity=_line([p.equity for p in points]),
        pnl=_line([p.unrealized_pnl for p in points]),
        first=points[0].taken_at.strftime("%Y-%m-%d %H:%M"),
        last=points[-1].taken_at.strftime("%Y-%m-%d %H:%M"),
        count=len(points),
    )
