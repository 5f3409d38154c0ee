"""The event bus: in-process (`perpdesk serve`) against PostgreSQL LISTEN/NOTIFY (workers to web
processes), measured in the same run on the same machine.

Latency: one event at a time, publish -> the subscriber has it (median, p99). Throughput: a burst
of N account-sized events (a whole view without orders, ~1 KB; and a large one, ~20 KB, which
crosses in chunks) published back to back, until the subscriber has the last.
The PostgreSQL side needs PERPDESK_TEST_PG_URL (scripts/pg.sh: `source scripts/pg.sh && pg_start`).

    .venv/bin/python bench/bench_bus.py [--events 5000] [--pings 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perpdesk.live.bus import EventBus, InProcessBus, Subscription, account_topic
from perpdesk.live.pg_bus import PgNotifyBus

VIEW = {"account_id": "a1", "label": "Main", "exchange": "bitmart",
        "freshness": {"state": "fresh", "since_ms": 1, "reason": "", "fresh": True},
        "balances": [{"currency": "USDT", "equity": "10003.12", "available": "9000.1",
                      "unrealized_pnl": "3.12", "position_margin": "1000", "frozen": "0"}],
        "positions": [{"symbol": f"S{i}USDT", "side": "long", "size": "3", "entry_price": "60000.5",
                       "mark_price": "61000", "leverage": "10", "margin_mode": "cross"} for i in range(4)],
        "unrealized_pnl": "3.12", "margin_in_use": "1000", "snapshot_at_ms": 1}
BIG = {**VIEW, "open_orders": [{"order_id": str(i), "symbol": "BTCUSDT", "price": "60000.1", "size": "1",
                                "state": "new", "side": "buy_open_long"} for i in range(150)]}


async def latency(pub: EventBus, sub: Subscription, pings: int) -> list[float]:
    out = []
    for _ in range(pings):
        t0 = time.perf_counter()
        pub.publish(account_topic("a1"), "account", VIEW)
        assert await sub.get(10) is not None
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def burst(pub: EventBus, sub: Subscription, n: int, data: dict[str, Any]) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        pub.publish(account_topic("a1"), "account", data)
    for _ in range(n):
        assert await sub.get(30) is not None, "an event was lost"
    return n / (time.perf_counter() - t0)


def report(name: str, lat: list[float], small: float, big: float) -> None:
    lat.sort()
    p99 = lat[int(len(lat) * .99)]
    print(f"{name:>22}: latency median {statistics.median(lat):7.3f} ms  p99 {p99:7.3f} ms"
          f" | {small:9.0f} events/s (~1 KB) | {big:8.0f} events/s (~20 KB)")


async def main(events: int, pings: int) -> None:
    local = InProcessBus(default_maxsize=events * 2)
    sub = local.subscribe([account_topic("a1")])
    report("in-process", await latency(local, sub, pings), await burst(local, sub, events, VIEW),
           await burst(local, sub, events // 10, BIG))
    url = os.environ.get("PERPDESK_TEST_PG_URL")
    if not url:
        print("PostgreSQL side skipped: set PERPDESK_TEST_PG_URL (source scripts/pg.sh && pg_start)")
        return
    worker, web = PgNotifyBus(url, outbox=events * 2), PgNotifyBus(url, default_maxsize=events * 2)
    worker.start()
    web.start()
    await asyncio.gather(worker.connected.wait(), web.connected.wait())
    far = web.subscribe([account_topic("a1")])
    try:
        report("PostgreSQL NOTIFY", await latency(worker, far, pings), await burst(worker, far, events, VIEW),
               await burst(worker, far, events // 10, BIG))
        print(f"{'':>22}  dropped {worker.dropped_total + web.dropped_total}")
    finally:
        await worker.aclose()
        await web.aclose()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--pings", type=int, default=300)
    args = ap.parse_args()
    import uvloop

    uvloop.run(main(args.events, args.pings))
