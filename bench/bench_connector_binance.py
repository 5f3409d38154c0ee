"""Client CPU per signed Binance order: the native connector vs the same bare-asyncio floor as
bench_connector.py, and ccxt's binanceusdm beside them when it is importable.

    .venv/bin/python bench/bench_connector_binance.py [--n 2000] [--uvloop]
    PYTHONPATH=/tmp/ccxt-lib .venv/bin/python bench/bench_connector_binance.py   # with ccxt

ccxt is not a dependency: for the comparison install it outside the lockfile, e.g.
`uv pip install --target /tmp/ccxt-lib ccxt`. Starts the sandbox with its Binance port as a
subprocess (its CPU is not ours), raises its limits far above the run, and measures
time.process_time() in this process, each client interleaved in rounds with the floor
(bench_connector's `compare`): the connector first, then ccxt, each against the same floor.
Each order is an IOC limit buy far below the market: signed, sent, answered (EXPIRED), parsed,
and no order is left resting.
- floor: a hand-built, hand-signed HTTP/1.1 request on asyncio streams, reading the raw answer;
- connector: BinanceFuturesConnector.place_order, everything included (validation and rounding,
  limiter, signing, transport, JSON parsing, typed result);
- ccxt: binanceusdm.create_order on aiohttp, everything included.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import sys
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_connector import FloorClient, compare  # noqa: E402
from perpdesk.core.models import Credentials, OrderRequest, OrderSide, TimeInForce  # noqa: E402
from perpdesk.exchanges.binance import BinanceFuturesConnector  # noqa: E402
from perpdesk.exchanges.binance.ratelimit import BinanceLimiter  # noqa: E402
from perpdesk.exchanges.common.clock import ExchangeClock  # noqa: E402
from tests.fixtures.binance import start_binance_sandbox  # noqa: E402

ORDER = "/fapi/v1/order"
FAR = 10**9  # limits far above the run, followed from the headers all the same


class BinanceFloor(FloorClient):
    """The least a client can do for one Binance order: the query string signed by hand."""

    async def order(self, i: int) -> bytes:
        qs = (
            b"symbol=BTCUSDT&side=BUY&positionSide=LONG&type=LIMIT&timeInForce=IOC&quantity=0.100"
            b"&price=1000&newClientOrderId=floor%d&recvWindow=5000&timestamp=%d"
            % (i + 10_000_000, time.time_ns() // 1_000_000)
        )
        sig = hmac.new(self.secret, qs, hashlib.sha256).hexdigest().encode()
        return await self._roundtrip(
            b"POST "
            + ORDER.encode()
            + b"?"
            + qs
            + b"&signature="
            + sig
            + b" HTTP/1.1\r\nHost: "
            + self.host.encode()
            + b"\r\nX-MBX-APIKEY: "
            + self.creds.api_key.encode()
            + b"\r\nContent-Length: 0\r\n\r\n"
        )


async def run(n: int) -> int:
    sandbox = start_binance_sandbox()
    try:
        sandbox.server.admin.rate_limits(factor=1000)
        sandbox.server.admin.set_price("BTCUSDT", "50000")
        user = sandbox.server.admin.create_user(futures_deposit={"USDT": "100000000"})
        creds = {}
        for name in ("floor", "connector", "ccxt"):
            key = sandbox.key(user["email"])
            creds[name] = Credentials(key["api_key"], key["secret_key"])
        port = int(sandbox.url.rsplit(":", 1)[1])
        floor = BinanceFloor("127.0.0.1", port, creds["floor"])
        await floor.open()
        clock = ExchangeClock()
        limiter = BinanceLimiter(clock.now_ms, weight_per_min=FAR, orders_per_10s=FAR, orders_per_min=FAR)
        conn = BinanceFuturesConnector(sandbox.url, clock=clock, limiter=limiter)
        ccreds = creds["connector"]

        def conn_order(i: int) -> Awaitable[object]:
            return conn.place_order(
                ccreds,
                OrderRequest(
                    "BTCUSDT",
                    OrderSide.BUY_OPEN_LONG,
                    Decimal("0.1"),
                    f"conn{i + 10_000_000}",
                    price=Decimal(1000),
                    time_in_force=TimeInForce.IOC,
                ),
            )

        first = await conn_order(-10_000)
        assert getattr(first, "status", None) == "placed", first
        print(f"client CPU per signed order, N={n}, one keep-alive loopback connection each")
        ratio, best = await compare(
            "signed order (POST /fapi/v1/order)", n, floor.order, conn_order, name="BinanceFuturesConnector"
        )
        await conn.aclose()
        ccxt_ratio = await _ccxt(sandbox.url, creds["ccxt"], n, floor.order)
        print("RATIO client/floor (target <= 2)      median of rounds   best round")
        print(f"  {'BinanceFuturesConnector':<36} {ratio:5.2f}            {best:5.2f}")
        if ccxt_ratio is not None:
            print(f"  {'ccxt binanceusdm':<36} {ccxt_ratio[0]:5.2f}            {ccxt_ratio[1]:5.2f}")
        return 0
    finally:
        sandbox.stop()


async def _ccxt(
    url: str, creds: Credentials, n: int, floor: Callable[[int], Awaitable[object]]
) -> tuple[float, float] | None:
    """ccxt's binanceusdm pointed at the sandbox, interleaved with the same floor."""
    try:
        import ccxt.async_support as ccxt
    except ImportError:
        print("ccxt: not importable (see the docstring to include it)")
        return None
    exchange = ccxt.binanceusdm({"apiKey": creds.api_key, "secret": creds.secret, "enableRateLimit": False})
    exchange.options["fetchMarkets"] = {"types": ["linear"]}
    exchange.options["fetchCurrencies"] = False  # (the spot host's currencies: not in the sandbox)
    for name in list(exchange.urls["api"]):
        if name.startswith("fapi"):
            exchange.urls["api"][name] = exchange.urls["api"][name].replace("https://fapi.binance.com", url)
    try:
        await exchange.load_markets()

        async def order(i: int) -> object:
            params = {
                "timeInForce": "IOC",
                "positionSide": "LONG",
                "newClientOrderId": f"ccxt{i + 20_000_000}",
            }
            return await exchange.create_order("BTC/USDT:USDT", "limit", "buy", 0.1, 1000, params)

        return await compare(
            f"ccxt {ccxt.__version__} binanceusdm.create_order, same floor",
            n,
            floor,
            order,
            name="ccxt binanceusdm",
        )
    finally:
        await exchange.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--uvloop", action="store_true", help="run the client on uvloop")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.install()
    print(f"event loop: {'uvloop' if args.uvloop else 'asyncio'}")
    raise SystemExit(asyncio.run(run(args.n)))


if __name__ == "__main__":
    main()
