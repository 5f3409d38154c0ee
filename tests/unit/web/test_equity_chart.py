"""The equity chart's geometry: points at their time within the chosen period, value axes on
round steps, time ticks on round instants (labels in UTC until the browser rewrites them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from perpdesk.services.equity_history import EquityPoint
from perpdesk.web.portfolio.chart import HEIGHT, LEFT, RIGHT, WIDTH, Span, chart, nice_step

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def point(minutes_ago: int, equity: str, pnl: str = "0") -> EquityPoint:
    return EquityPoint(NOW - timedelta(minutes=minutes_ago), Decimal(equity), Decimal(pnl))


def test_points_sit_at_their_time_in_the_period() -> None:
    c = chart([point(12 * 60, "100"), point(0, "200", "5")], NOW, Span.DAY)
    assert c is not None
    # 24 h wide: a point 12 h ago is mid-way, the newest at the right edge; higher equity is higher up
    mid = LEFT + (WIDTH - LEFT - RIGHT) / 2
    assert c.equity.path.startswith(f"M{mid:.1f},") and f"L{WIDTH - RIGHT:.1f}," in c.equity.path
    (_, y_old), (_, y_new) = (pair.split(",") for pair in c.equity.path[1:].split(" L"))
    assert float(y_new) < float(y_old)
    assert (c.equity.low, c.equity.high, c.count) == (Decimal(100), Decimal(200), 2)
    assert chart([], NOW) is None


def test_value_axis_steps_are_round_and_inside_the_range() -> None:
    assert [nice_step(Decimal(s)) for s in ("100", "7", "0.3", "2500")] == [
        Decimal(25) * 2, Decimal(2), Decimal("0.1"), Decimal(1000)]
    c = chart([point(60, "4999.87"), point(0, "5003.42")], NOW, Span.DAY)
    assert c is not None
    labels = [t.label for t in c.equity.ticks]
    assert labels == ["5,000", "5,001", "5,002", "5,003"]
    assert all(0 < t.at < HEIGHT for t in c.equity.ticks)
    assert sorted((t.at for t in c.equity.ticks), reverse=True) == [t.at for t in c.equity.ticks]


def test_time_ticks_fall_on_round_instants_and_carry_them() -> None:
    c = chart([point(60 * 23, "1"), point(0, "2")], NOW, Span.DAY)
    assert c is not None and not c.daily
    assert [t.label for t in c.times] == ["12:00", "18:00", "00:00", "06:00", "12:00"]  # 24 h in 6 h steps
    assert all(t.utc_ms is not None and t.utc_ms % (6 * 3600 * 1000) == 0 for t in c.times)
    assert [round(t.at) for t in c.times] == [round(LEFT + i * (WIDTH - LEFT - RIGHT) / 4) for i in range(5)]
    week = chart([point(60 * 24 * 6, "1"), point(0, "2")], NOW, Span.WEEK)
    assert week is not None and week.daily
    assert [t.label for t in week.times] == ["Dec 01", "Dec 03", "Dec 05", "Dec 07"]  # 2-day steps


def test_the_period_is_one_of_four() -> None:
    assert [Span.of(v) for v in ("24h", "7D", " 30d ", "all", "year", None)] == [
        Span.DAY, Span.WEEK, Span.MONTH, Span.ALL, Span.DAY, Span.DAY]
    assert [s.days for s in Span] == [1, 7, 30, 400]
    flat = chart([point(5, "10"), point(0, "10")], NOW, Span.ALL)  # one value: still a chart
    assert flat is not None and flat.equity.low == flat.equity.high == Decimal(10)
