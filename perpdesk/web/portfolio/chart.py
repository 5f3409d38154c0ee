"""The dashboard's equity chart as a server-side SVG (no script needed to draw it, so it fits a strict
CSP): equity (left axis) and unrealised PnL (right axis) over time, with labelled axes and a period
choice (24h, 7d, 30d, all). Points sit at their time, so gaps show as gaps in time.

Tick labels carry their instant (`data-utc-ms`); static/equity-chart.js rewrites them in the
browser's time zone and says which; without it they read in UTC, as the caption says. Values on
the axes are rounded for reading; the exact range is in the chart's label."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from perpdesk.services.equity_history import KEEP, EquityPoint
from perpdesk.web.numbers_display import grouped, places_of

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 78, 64, 12, 34  # room for the axes' labels
MAX_POINTS = 600  # more would only add path length: one point per ~pixel
TIME_STEPS = [timedelta(minutes=m) for m in (1, 5, 15, 30, 60, 180, 360, 720)] + [
    timedelta(days=d) for d in (1, 2, 7, 14, 30, 60, 90)]


class Span(enum.StrEnum):
    DAY = "24h"
    WEEK = "7d"
    MONTH = "30d"
    ALL = "all"

    @property
    def days(self) -> int:
        return {"24h": 1, "7d": 7, "30d": 30}.get(self.value, KEEP.days)

    @classmethod
    def of(cls, value: str | None) -> Span:
        """The period asked for; 24h for anything else (a link, not a form: nothing to explain)."""
        try:
            return cls((value or "").strip().lower())
        except ValueError:
            return cls.DAY


@dataclass(frozen=True)
class Tick:
    at: float  # pixel along the axis
    label: str
    utc_ms: int | None = None  # time ticks: the instant, for the browser's time zone


@dataclass(frozen=True)
class Line:
    path: str
    low: Decimal
    high: Decimal
    ticks: list[Tick]


@dataclass(frozen=True)
class Chart:
    equity: Line
    pnl: Line
    times: list[Tick]
    first: str
    last: str
    count: int
    daily: bool  # time labels are dates (a step of a day or more), else times of day
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM


def nice_step(span: Decimal, count: int = 4) -> Decimal:
    """1, 2 or 5 times a power of ten: about `count` steps over `span`."""
    raw = span / count if span > 0 else Decimal(1)
    power = Decimal(1).scaleb(raw.adjusted())
    for m in (1, 2, 5, 10):
        if power * m >= raw:
            return power * m
    return power * 10  # pragma: no cover - the loop always returns


def _value_ticks(low: Decimal, high: Decimal, y_of: Callable[[Decimal], Decimal]) -> list[Tick]:
    step = nice_step(high - low)
    places = min(places_of(step) or 0, 8)
    out, v = [], (low / step).to_integral_value(rounding=ROUND_CEILING) * step
    while v <= high:
        out.append(Tick(float(y_of(v)), grouped(v, places)))
        v += step
    return out


def _line(times: Sequence[float], values: Sequence[Decimal]) -> Line:
    low, high = min(values), max(values)
    if low == high:  # a flat line sits mid-chart, its value labelled
        low, high = low - 1, high + 1
    span = high - low
    inner = Decimal(HEIGHT - TOP - BOTTOM)

    def y_of(v: Decimal) -> Decimal:
        return (Decimal(TOP) + inner - (v - low) / span * inner).quantize(Decimal("0.1"))

    pts = [f"{x:.1f},{y_of(v)}" for x, v in zip(times, values, strict=True)]
    return Line("M" + " L".join(pts), min(values), max(values), _value_ticks(low, high, y_of))


def _time_ticks(t0: datetime, t1: datetime, x_of: Callable[[datetime], float]) -> tuple[list[Tick], bool]:
    span = t1 - t0
    step = next((s for s in TIME_STEPS if span / s <= 6), TIME_STEPS[-1])
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    first = epoch + step * -(-(t0 - epoch) // step)  # the first multiple of the step from t0
    daily = step >= timedelta(days=1)
    out, t = [], first
    while t <= t1:
        label = t.strftime("%b %d" if daily else "%H:%M")
        out.append(Tick(x_of(t), label, int(t.timestamp() * 1000)))
        t += step
    return out, daily


def _thin(points: Sequence[EquityPoint]) -> list[EquityPoint]:
    if len(points) <= MAX_POINTS:
        return list(points)
    every = -(-len(points) // MAX_POINTS)
    kept = list(points[::every])
    return kept if kept[-1] is points[-1] else [*kept, points[-1]]


def chart(points: Sequence[EquityPoint], now: datetime | None = None, span: Span = Span.DAY) -> Chart | None:
    if not points:
        return None
    shown = _thin(points)
    t1 = max(now or shown[-1].taken_at, shown[-1].taken_at)
    t0 = shown[0].taken_at if span is Span.ALL else min(shown[0].taken_at, t1 - timedelta(days=span.days))
    if t1 - t0 < timedelta(minutes=1):
        t0 = t1 - timedelta(minutes=1)
    width = WIDTH - LEFT - RIGHT
    total = (t1 - t0).total_seconds()

    def x_of(t: datetime) -> float:
        return LEFT + (t - t0).total_seconds() / total * width

    xs = [x_of(p.taken_at) for p in shown]
    times, daily = _time_ticks(t0, t1, x_of)
    return Chart(
        equity=_line(xs, [p.equity for p in shown]),
        pnl=_line(xs, [p.unrealized_pnl for p in shown]),
        times=times,
        first=points[0].taken_at.strftime("%Y-%m-%d %H:%M"),
        last=points[-1].taken_at.strftime("%Y-%m-%d %H:%M"),
        count=len(points),
        daily=daily,
    )
