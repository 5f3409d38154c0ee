"""Suite 1: orders under faulted answers, on each exchange. 0 duplicates, 0 lost, 0 records that
disagree with the exchange once everything has settled. Scaled down here; full (10,000 orders)
by scripts/reliability.sh."""

from __future__ import annotations

from typing import Any

from tests.reliability.conftest import size
from tests.reliability.orders_workload import DIALECTS, run


async def test_orders_under_ten_percent_faults_are_never_duplicated_lost_or_misrecorded(rdeps: Any) -> None:
    deps, connector, sandbox, exchange = rdeps
    figures = await run(
        deps,
        connector,
        sandbox,
        n_orders=size("ORDERS", 240, 10_000),
        n_accounts=size("ACCOUNTS", 8, 100),
        dialect=DIALECTS[exchange],
    )
    print("\n" + "\n".join(figures.lines()))
    assert figures.faults_hit > 0 and figures.outcomes["unknown"] + figures.outcomes["placed"] > 0
    assert (figures.duplicates, figures.lost, figures.disagreeing, figures.unsettled) == (0, 0, 0, 0), (
        figures.lines(),
        figures.problems[:20],
    )
