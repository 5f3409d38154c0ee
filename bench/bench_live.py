"""Live account state: exchange event -> browser latency, and the cost of 1,000 idle mirrors.

1. Latency. The real sandbox and the real platform (`perpdesk serve`, subprocesses). A user holds
   a position; each round sets a new price through the sandbox's admin API and times until the
   platform's SSE stream (`/api/live/stream`, read like a browser) carries the new mark. Floor,
   in alternate rounds of the same run: the same trigger, timed until a client subscribed to the
   sandbox's own `futures/ticker` WebSocket has the new mark (the event path without the platform).
2. Page loads. Ten parallel loads of one account's trade page (a position held) while its
   mirror is fresh, beside the same on a platform with live mirrors off (every load asks the
   exchange, within the key's rate limits).
3. Mirrors. N accounts (default 1,000) with their own sandbox keys; in one fresh process N
   AccountMirrors (private stream logged in and subscribed, REST snapshot taken), then the process
   sits idle for a window, then reconciles every mirror once (its CPU per round, added to the
   idle figure at 60 s, and at the 300 s a quiet account settles at). Floor, in another fresh
   process: N bare asyncio tasks each holding a
   WebSocket to the same endpoint with the same heartbeat. Prints RSS per account and CPU time
   per idle account per minute for both. The sandbox allows 500 connections per address, so both
   spread their connections over 127.0.0.1-127.0.0.4 (keys have no IP whitelist).

    .venv/bin/python bench/bench_live.py [--rounds 40] [--accounts 1000] [--window 65]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SYM = "ETHUSDT"
SOURCES = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# ---- a user holding a position ------------------------------------------------------------------
async def _holding_user(
    sandbox: Any, platform_url: str, *, freeze: bool, wait_fresh: bool
) -> tuple[Any, str, Any]:
    """A signed-up platform user whose connected account holds 10 SYM long at 3000; with
    `wait_fresh`, once its mirror is fresh. Returns (user, account id, sandbox admin client)."""
    import httpx

    from tests.e2e.trading.conftest import api_user

    class _P:
        url = platform_url

    user = await api_user(_P())  # type: ignore[arg-type]
    account_id, _key = await user.connect(sandbox)
    admin = httpx.AsyncClient(
        base_url=sandbox.base_url, headers={"Authorization": f"Bearer {sandbox.admin_token}"}
    )
    if freeze:
        await admin.post("/sandbox-admin/freeze-prices", json={"frozen": True})
    await admin.post("/sandbox-admin/price", json={"symbol": SYM, "price": "3000"})
    r = await user.http.post(
        f"/api/accounts/{account_id}/orders",
        json={
            "symbol": SYM,
            "side": "buy_open_long",
            "type": "market",
            "size": "10",
            "leverage": "5",
            "margin_mode": "cross",
        },
    )
    assert r.status_code in (200, 201), r.text
    view: dict[str, Any] = {}
    for _ in range(400 if wait_fresh else 0):  # the mirror holds the position and follows the ticker
        await admin.post("/sandbox-admin/price", json={"symbol": SYM, "price": "3000.5"})
        view = (await user.http.get(f"/api/accounts/{account_id}/live")).json()
        if view.get("freshness", {}).get("fresh"):
            break
        await asyncio.sleep(0.05)
    else:
        if wait_fresh:
            raise RuntimeError(f"the mirror did not become fresh: {view}")
    return user, account_id, admin


# ---- 1. latency ---------------------------------------------------------------------------------
async def latency(sandbox: Any, platform_url: str, rounds: int) -> dict[str, list[float]]:
    import orjson
    from websockets.asyncio.client import connect

    user, account_id, admin = await _holding_user(sandbox, platform_url, freeze=True, wait_fresh=True)
    out: dict[str, list[float]] = {"floor": [], "platform": []}
    async with (
        connect(sandbox.ws_url + "/api?protocol=1.1") as ws,
        user.http.stream("GET", f"/api/live/stream?account={account_id}", timeout=None) as sse,
    ):
        await ws.send(json.dumps({"action": "subscribe", "args": [f"futures/ticker:{SYM}"]}))
        lines = sse.aiter_lines()

        async def sse_mark(price: str) -> float:
            async for line in lines:
                if line.startswith("data: ") and f'"mark_price":"{price}"' in line:
                    return time.perf_counter()
            raise RuntimeError("the SSE stream ended")

        async def ws_mark(price: str) -> float:
            while True:
                msg = orjson.loads(await ws.recv())
                if (
                    isinstance(msg, dict)
                    and isinstance(msg.get("data"), dict)
                    and msg["data"].get("mark_price") == price
                ):
                    return time.perf_counter()

        await asyncio.sleep(0.5)
        for i in range(rounds * 2):
            kind = "floor" if i % 2 == 0 else "platform"
            price = f"{3001 + i}"
            t0 = time.perf_counter()
            waiter = asyncio.ensure_future(ws_mark(price) if kind == "floor" else sse_mark(price))
            await admin.post("/sandbox-admin/price", json={"symbol": SYM, "price": price})
            arrived = await asyncio.wait_for(waiter, 10)  # stamped on arrival, not after the POST
            out[kind].append(arrived - t0)
            if kind == "floor":  # the platform's stream got the same tick: let it through unmeasured
                await asyncio.wait_for(sse_mark(price), 10)
            else:
                await asyncio.wait_for(ws_mark(price), 10)
    await admin.post("/sandbox-admin/freeze-prices", json={"frozen": False})
    await admin.aclose()
    await user.http.aclose()
    return out


# ---- 2. page loads ------------------------------------------------------------------------------
async def page_loads(sandbox: Any, platform_url: str, live: bool, batches: int = 5) -> list[float]:
    """Seconds for 10 parallel loads of one account's trade page (a position held), per batch."""

    user, account_id, admin = await _holding_user(sandbox, platform_url, freeze=False, wait_fresh=live)
    times = []
    for _ in range(batches):
        await asyncio.sleep(2.1)  # the exchange's 2-second rate-limit windows start empty
        t0 = time.perf_counter()
        answers = await asyncio.gather(*(user.http.get(f"/accounts/{account_id}/trade") for _ in range(10)))
        times.append(time.perf_counter() - t0)
        assert all(a.status_code == 200 for a in answers)
    await admin.aclose()
    await user.http.aclose()
    return times


# ---- 3. mirrors ---------------------------------------------------------------------------------
def _keys(sandbox: Any, n: int) -> list[tuple[str, str, str]]:
    keys = []
    for i in range(n):
        u = sandbox.admin.create_user(
            email=f"bench-{i}-{os.getpid()}@example.com", futures_deposit={"USDT": "100"}
        )
        k = sandbox.admin.create_key(u["email"], memo="bench", ip=None)
        keys.append((k["api_key"], k["secret_key"], k["memo"]))
    return keys


def _mirrors_proc(
    kind: str, base_url: str, ws_url: str, keys: list[tuple[str, str, str]], window_s: float, out: Any
) -> None:
    async def main() -> dict[str, float]:
        from perpdesk.core.models import Credentials
        from perpdesk.exchanges.bitmart import BitmartFuturesConnector
        from perpdesk.exchanges.registry import Venue
        from perpdesk.live.bus import InProcessBus
        from perpdesk.live.market_hub import MarketHub
        from perpdesk.live.mirror import AccountMirror, MirrorRef
        from perpdesk.live.views import Freshness

        user_ws = ws_url + "/user?protocol=1.1"
        conns = [BitmartFuturesConnector(base_url, ws_url=user_ws, source_address=s) for s in SOURCES]
        await conns[0].instruments()
        for c in conns[1:]:
            c.markets = conns[0].markets
        trace = kind == "mirrors" and bool(os.environ.get("BENCH_TRACEMALLOC"))
        if trace:  # where a mirror's memory goes (slows the start; the RSS figure then includes it)
            tracemalloc.start()
            snap0 = tracemalloc.take_snapshot()
        gc.collect()
        rss0 = _rss_bytes()
        n = len(keys)
        if kind == "mirrors":
            bus = InProcessBus()
            hub = MarketHub(lambda _ex: conns[0], bus)
            mirrors = []
            for i, (k, s, m) in enumerate(keys):
                creds = Credentials(k, s, m)

                async def opener(c: Credentials = creds) -> Credentials:
                    return c

                mirror = AccountMirror(
                    MirrorRef(f"a{i}", f"u{i}", Venue("bitmart", base_url, user_ws), "bench"),
                    conns[i % len(conns)],
                    opener,
                    bus,
                    hub,
                    reconcile_interval_s=3600.0,  # rounds are measured apart, below
                )
                mirror.start()
                mirrors.append(mirror)
                if i % 50 == 49:
                    await asyncio.sleep(0.05)  # spread the logins a little
            deadline = time.monotonic() + 600
            while sum(m.freshness.state is Freshness.FRESH for m in mirrors) < n:
                if time.monotonic() > deadline:
                    raise RuntimeError("mirrors did not all become fresh")
                await asyncio.sleep(0.2)
            await asyncio.sleep(2)  # the debounced reads after the snapshot are done
        else:
            from perpdesk.exchanges.bitmart.ws_link import pinging
            from perpdesk.exchanges.common.ws_link import open_ws

            async def hold(src: str) -> None:  # the private stream's own connection and heartbeat
                async with open_ws(user_ws, open_timeout_s=10, proxy=None, source_address=src,
                                   compress=False) as ws:
                    with pinging(ws, 15.0):
                        await ws.wait_closed()

            tasks = [asyncio.create_task(hold(SOURCES[i % len(SOURCES)])) for i in range(n)]
            await asyncio.sleep(5)
            if any(t.done() for t in tasks):
                raise RuntimeError("a floor connection failed")
        gc.collect()
        rss1 = _rss_bytes()
        if trace:
            for stat in tracemalloc.take_snapshot().compare_to(snap0, "lineno")[:30]:
                size, count = stat.size_diff / n, stat.count_diff / n
                print(f"{size:8.0f} B {count:6.1f} blocks per account {stat.traceback}")
        profile = None
        if kind == "mirrors" and os.environ.get("BENCH_PROFILE"):  # where the idle CPU goes
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        cpu0, t0 = time.process_time(), time.monotonic()
        await asyncio.sleep(window_s)
        cpu = time.process_time() - cpu0
        if profile is not None:
            import pstats

            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(35)
        wall = time.monotonic() - t0
        result = {
            "rss_per_account_kib": (rss1 - rss0) / n / 1024,
            "cpu_ms_per_account_per_min": cpu / n * (60 / wall) * 1000,
            "accounts": n,
        }
        if kind == "mirrors":
            # one reconciliation round of every mirror (4 REST reads each), 50 at a time: its CPU
            # per account, added to the idle stream's at each interval below
            cpu0 = time.process_time()
            for i in range(0, n, 50):
                await asyncio.gather(*(mirror.reconcile() for mirror in mirrors[i:i + 50]))
            result["reconcile_ms_per_round"] = (time.process_time() - cpu0) / n * 1000
            for mirror in mirrors:
                await mirror.stop()
        return result

    out.put(asyncio.run(main()))


def mirrors(sandbox: Any, keys: list[tuple[str, str, str]], window_s: float) -> dict[str, dict[str, float]]:
    ctx = mp.get_context("spawn")
    results = {}
    for kind in ("floor", "mirrors"):
        q: Any = ctx.Queue()
        p = ctx.Process(
            target=_mirrors_proc, args=(kind, sandbox.base_url, sandbox.ws_url, keys, window_s, q)
        )
        p.start()
        try:
            results[kind] = q.get(timeout=900)
        finally:
            p.join(30)
            if p.is_alive():
                p.kill()
    return results


def _print_mirrors(args: argparse.Namespace, res: dict[str, dict[str, float]]) -> None:
    print(f"{args.accounts} accounts in one process, idle {args.window:.0f} s")
    f, m = res["floor"], res["mirrors"]
    print(f"    floor: {f['rss_per_account_kib']:7.1f} KiB RSS per account, "
          f"{f['cpu_ms_per_account_per_min']:7.2f} ms CPU per idle account per minute")
    stream, round_ms = m["cpu_ms_per_account_per_min"], m["reconcile_ms_per_round"]
    print(f"  mirrors: {m['rss_per_account_kib']:7.1f} KiB RSS per account, {stream:7.2f} ms CPU per "
          f"idle account per minute between reconciliations; one reconciliation {round_ms:.2f} ms")
    for every_s, who in ((60, "an account with something open"), (300, "a quiet account (settled)")):
        idle = stream + round_ms * 60 / every_s
        m[f"cpu_ms_per_min_reconciled_every_{every_s}s"] = idle
        print(f"           reconciled every {every_s:3d} s ({who}): {idle:5.2f} ms CPU per minute, "
              f"floor x{idle / max(f['cpu_ms_per_account_per_min'], 0.001):.2f}")
    print(f"mirrors / floor: memory x{m['rss_per_account_kib'] / max(f['rss_per_account_kib'], 0.01):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--only-mirrors", action="store_true", help="part 3 only")
    parser.add_argument(
        "--window", type=float, default=65.0, help="idle seconds measured (reconciliations apart)"
    )
    args = parser.parse_args()

    from tests.fixtures.platform import launch_platform
    from tests.fixtures.sandbox import start_sandbox

    sandbox = start_sandbox()
    platform = None
    try:
        if args.only_mirrors:
            _print_mirrors(args, mirrors(sandbox, _keys(sandbox, args.accounts), args.window))
            return 0
        platform = launch_platform(
            sandbox,
            egress_ips="127.0.0.1",
            live_reconcile_interval_s=3600,
            live_scan_interval_s=0.2,
            order_settle_interval_s=3600,
        )
        lat = asyncio.run(latency(sandbox, platform.url, args.rounds))
        loads_live = asyncio.run(page_loads(sandbox, platform.url, live=True))
        platform.stop()
        platform = launch_platform(
            sandbox, egress_ips="127.0.0.1", live_enabled=False, order_settle_interval_s=3600
        )
        loads_rest = asyncio.run(page_loads(sandbox, platform.url, live=False))
        platform.stop()
        platform = None
        print("10 parallel loads of one account's trade page (median of 5 batches)")
        print(f"     mirror: {statistics.median(loads_live) * 1000:7.1f} ms")
        print(f"  exchange : {statistics.median(loads_rest) * 1000:7.1f} ms (PERPDESK_LIVE_ENABLED=false)")
        print(
            f"exchange event -> browser, {args.rounds} rounds each (set-price through the admin API included)"
        )
        for kind in ("floor", "platform"):
            xs = [x * 1000 for x in lat[kind]]
            print(f"{kind:>9}: p50 {statistics.median(xs):7.1f} ms  p99 {_pct(xs, 0.99):7.1f} ms")
        ratio = statistics.median(lat["platform"]) / statistics.median(lat["floor"])
        print(f"platform / floor p50: x{ratio:.2f}")

        res = mirrors(sandbox, _keys(sandbox, args.accounts), args.window)
        _print_mirrors(args, res)
        print(
            json.dumps(
                {
                    "page_loads_ms": {
                        "mirror": round(statistics.median(loads_live) * 1000, 1),
                        "exchange": round(statistics.median(loads_rest) * 1000, 1),
                    },
                    "latency_ms": {
                        k: {
                            "p50": round(statistics.median(v) * 1000, 1),
                            "p99": round(_pct(v, 0.99) * 1000, 1),
                        }
                        for k, v in lat.items()
                    },
                    "mirrors": res,
                }
            )
        )
        return 0
    finally:
        if platform is not None:
            platform.stop()
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
