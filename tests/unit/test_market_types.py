"""The market-data value types: pushed (core.market) and read (core.terminal) agree."""

from __future__ import annotations

from perpdesk.core.market import INTERVALS
from perpdesk.core.terminal import CHART_INTERVALS


def test_the_charts_intervals_are_ones_the_streams_know() -> None:
    # a chart interval without a stream channel could never be updated live
    assert set(CHART_INTERVALS) <= set(INTERVALS), set(CHART_INTERVALS) - set(INTERVALS)
    assert list(CHART_INTERVALS.values()) == sorted(CHART_INTERVALS.values())
