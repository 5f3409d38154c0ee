"""Client CPU per signed order and per balance read: the full connector vs a bare-asyncio floor.

    .venv/bin/python bench/bench_connector.py [--n 2000] [--uvloop] [--strict]

Starts the sandbox as a subprocess (its CPU is not ours), raises its rate limits far above the run,
then measures time.process_time() in this process over N sequential requests, each client on one
keep-alive connection, floor and connector interleaved in rounds so that the machine's load hits
both alike (the medians of the rounds are compared):
- floor: a hand-built, hand-signed HTTP/1.1 request on asyncio streams, reading the raw answer;
- connector: BitmartFuturesConnector.place_order / balances, everything included (validation and
  rounding, rate limiter, signing, transport, envelope and JSON parsing, typed results);
- httpx (reference): the same signed request through httpx.AsyncClient.
Prints µs per request and the connector/floor ratio (target ≤ 2).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perpdesk.core.models import Credentials, MarginMode, OrderRequest, OrderSide  # noqa: E402
from perpdesk.exchanges.bitmart import BitmartFuturesConnector  # noqa: E402
from tests.fixtures.sandbox import start_sandbox  # noqa: E402

SUBMIT = "/contract/private/submit-order"
ASSETS = "/contract/private/assets-detail"


async def _chunk(op: Callable[[int], Awaitable[object]], start: int, n: int) -> tuple[float, float]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(start, start + n):
        await op(i)
    return (time.process_time() - cpu0) / n * 1e6, (time.perf_counter() - wall0) / n * 1e6


async def compare(title: str, n: int, floor: Callable[[int], Awaitable[object]],
                  ours: Callable[[int], Awaitable[object]], round_size: int = 50,
                  name: str = "BitmartFuturesConnector") -> tuple[float, float]:
    """Interleave floor and connector in short rounds, which goes first alternating (the machine's
    load and the caches' state hit both alike); return the ratio of the medians and the ratio of
    the best rounds (timeit's convention: the fastest round is the one least disturbed by other
    processes). Also printed: the median of each round pair's ratio, the pairs being adjacent in time."""
    for i in range(50):  # warm-up: connections, caches, clock offset
        await floor(-1 - i)
        await ours(-1 - i)
    per_round = max(1, min(round_size, n // 10))
    rounds = max(10, n // per_round)
    floor_cpu, ours_cpu, floor_wall, ours_wall = [], [], [], []
    for r in range(rounds):
        start = r * per_round
        if r % 2:
            oc, ow = await _chunk(ours, start, per_round)
            fc, fw = await _chunk(floor, start, per_round)
        else:
            fc, fw = await _chunk(floor, start, per_round)
            oc, ow = await _chunk(ours, start, per_round)
        floor_cpu.append(fc)
        floor_wall.append(fw)
        ours_cpu.append(oc)
        ours_wall.append(ow)
    f, o = statistics.median(floor_cpu), statistics.median(ours_cpu)
    paired = statistics.median(oc / fc for oc, fc in zip(ours_cpu, floor_cpu, strict=True))
    print(f"{title} (median of {rounds} interleaved rounds of {per_round}):")
    print(f"  {'floor (bare asyncio, hand-signed)':<38} {f:8.1f} µs CPU/req  (min {min(floor_cpu):.1f}, "
          f"wall {statistics.median(floor_wall):.0f} µs)")
    print(f"  {name:<38} {o:8.1f} µs CPU/req  (min {min(ours_cpu):.1f}, "
          f"wall {statistics.median(ours_wall):.0f} µs)")
    print(f"  median of the per-round ratios: {paired:.2f}")
    return o / f, min(ours_cpu) / min(floor_cpu)


async def measure(label: str, n: int, op: Callable[[int], Awaitable[object]]) -> float:
    for i in range(20):
        await op(-1 - i)
    cpu, wall = await _chunk(op, 0, n)
    print(f"  {label:<38} {cpu:8.1f} µs CPU/req  (wall {wall:.0f} µs)")
    return cpu


class FloorClient:
    """The least a client can do: one socket, bytes in, bytes out, hand-signed."""

    def __init__(self, host: str, port: int, creds: Credentials) -> None:
        self.host, self.port, self.creds = host, port, creds
        self.secret = creds.secret.encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def _roundtrip(self, request: bytes) -> bytes:
        assert self.reader and self.writer
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        start = head.lower().index(b"content-length:") + 15
        length = int(head[start : head.index(b"\r\n", start)])
        return await self.reader.readexactly(length)

    async def order(self, i: int) -> bytes:
        body = (
            b'{"symbol":"BTCUSDT","client_order_id":"floor%d","side":1,"type":"limit","price":"1000",'
            b'"mode":1,"size":1,"leverage":"5","open_type":"cross"}' % (i + 10_000_000)
        )
        ts = str(time.time_ns() // 1_000_000).encode()
        sign = (
            hmac.new(self.secret, ts + b"#" + self.creds.passphrase.encode() + b"#" + body, hashlib.sha256)
            .hexdigest()
            .encode()
        )
        return await self._roundtrip(
            b"POST "
            + SUBMIT.encode()
            + b" HTTP/1.1\r\nHost: "
            + self.host.encode()
            + b"\r\nContent-Type: application/json\r\nX-BM-KEY: "
            + self.creds.api_key.encode()
            + b"\r\nX-BM-TIMESTAMP: "
            + ts
            + b"\r\nX-BM-SIGN: "
            + sign
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )

    async def balance(self, i: int) -> bytes:
        return await self._roundtrip(
            b"GET "
            + ASSETS.encode()
            + b" HTTP/1.1\r\nHost: "
            + self.host.encode()
            + b"\r\nX-BM-KEY: "
            + self.creds.api_key.encode()
            + b"\r\n\r\n"
        )


async def run(n: int, strict: bool = False) -> int:
    server = start_sandbox()
    try:
        # Raise the exchange's limits far above the run (factor 0 would turn them off but advertise
        # a limit of 1 in the headers, which a header-following client rightly obeys).
        server.admin.rate_limits(factor=1000)
        user = server.admin.create_user(futures_deposit={"USDT": "100000000"})
        creds_by = {}
        for name in ("floor", "connector", "httpx"):
            key = server.admin.create_key(user["email"], memo=f"bench-{name}")
            creds_by[name] = Credentials(key["api_key"], key["secret_key"], key["memo"])

        floor = FloorClient("127.0.0.1", server.port, creds_by["floor"])
        await floor.open()
        conn = BitmartFuturesConnector(server.base_url)
        ccreds = creds_by["connector"]
        await conn.instruments()
        for path in (SUBMIT, ASSETS):  # the limiter still runs and follows the headers; seed it high
            conn.limiter.bucket(ccreds.api_key, path).limit = 10**6

        def conn_order(i: int) -> Awaitable[object]:
            return conn.place_order(
                ccreds,
                OrderRequest(
                    "BTCUSDT",
                    OrderSide.BUY_OPEN_LONG,
                    Decimal(1),
                    f"conn{i + 10_000_000}",
                    price=Decimal(1000),
                    leverage=Decimal(5),
                    margin_mode=MarginMode.CROSS,
                ),
            )

        first = await conn_order(-10_000)
        assert getattr(first, "status", None) == "placed", first
        print(f"client CPU per request, N={n}, one keep-alive loopback connection each")
        ratio_order = await compare("signed order (POST submit-order)", n, floor.order, conn_order)
        ratio_bal = await compare("balance read (GET assets-detail)", n, floor.balance,
                                  lambda i: conn.balances(ccreds))

        import httpx

        hcreds = creds_by["httpx"]
        async with httpx.AsyncClient(base_url=server.base_url) as client:

            async def httpx_order(i: int) -> object:
                body = orjson.dumps(
                    {
                        "symbol": "BTCUSDT",
                        "client_order_id": f"hx{i + 10_000_000}",
                        "side": 1,
                        "type": "limit",
                        "price": "1000",
                        "mode": 1,
                        "size": 1,
                        "leverage": "5",
                        "open_type": "cross",
                    }
                )
                ts = str(time.time_ns() // 1_000_000)
                sign = hmac.new(
                    hcreds.secret.encode(), f"{ts}#{hcreds.passphrase}#".encode() + body, hashlib.sha256
                ).hexdigest()
                r = await client.post(
                    SUBMIT,
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "X-BM-KEY": hcreds.api_key,
                        "X-BM-TIMESTAMP": ts,
                        "X-BM-SIGN": sign,
                    },
                )
                return r.json()

            print("reference:")
            await measure("httpx.AsyncClient, hand-signed", max(200, n // 4), httpx_order)
        await conn.aclose()

        print("RATIO connector/floor (target <= 2)   median of rounds   best round")
        for label, (med, best) in (("signed order", ratio_order), ("balance read", ratio_bal)):
            print(f"  {label:<36} {med:5.2f}            {best:5.2f}")
        verdict = "within" if max(ratio_order[0], ratio_bal[0]) <= 2 else "OVER"
        print(f"connector is {verdict} 2x of the floor (by the medians)")
        return 0 if verdict == "within" or not strict else 1
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--uvloop", action="store_true", help="run the client on uvloop")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a ratio is above 2")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.install()
    print(f"event loop: {'uvloop' if args.uvloop else 'asyncio'}")
    raise SystemExit(asyncio.run(run(args.n, args.strict)))


if __name__ == "__main__":
    main()
