"""Throughput of the sandbox's Binance USDⓈ-M dialect, against a floor measured in the same run
on the same port.

Starts the real sandbox with its Binance port (subprocess, uvloop + httptools, a SQLite state
file, rate limits off), creates a user and a Binance key through the admin API, then drives
requests from a raw-asyncio HTTP/1.1 client in another process over keep-alive connections:

  floor   GET    /fapi/v1/time       (public, no key, trivial payload)
  signed  GET    /fapi/v2/balance    (SIGNED: X-MBX-APIKEY, HMAC-SHA256 of the query, recvWindow)
  orders  POST   /fapi/v1/order      (a LIMIT buy far below the mark: it rests, persisted)
          DELETE /fapi/v1/order      (cancels it by orderId): one pair

Prints req/s for each, pairs/s, and the ratios to the floor, as bench_sandbox.py and
bench_sandbox_orders.py do for the BitMart dialect.

    .venv/bin/python bench/bench_sandbox_binance.py [--seconds 4] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing as mp
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeAlias
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_sandbox import in_process, read_answer, timed_connections  # noqa: E402

Reader: TypeAlias = asyncio.StreamReader
Writer: TypeAlias = asyncio.StreamWriter
ORDER = {"symbol": "BTCUSDT", "side": "BUY", "positionSide": "LONG", "type": "LIMIT", "timeInForce": "GTC",
         "quantity": "0.002", "price": "60000.0"}  # fmt: skip


def signed(method: str, path: str, params: dict[str, str], host: str, port: int, key: dict) -> bytes:
    """A SIGNED Binance request as raw bytes: timestamp added, HMAC-SHA256 of the query string."""
    query = urlencode({**params, "timestamp": str(int(time.time() * 1000))})
    sig = hmac.new(key["secret_key"].encode(), query.encode(), hashlib.sha256).hexdigest()
    return (
        f"{method} {path}?{query}&signature={sig} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"X-MBX-APIKEY: {key['api_key']}\r\n\r\n"
    ).encode()


def _client(host: str, port: int, kind: str, key: dict, seconds: float, conns: int, out: mp.Queue) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    def ask(method: str, path: str, params: dict[str, str] | None = None) -> bytes:
        if params is None:
            return f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
        return signed(method, path, params, host, port, key)

    reported: list[int] = []

    async def once(reader: Reader, writer: Writer, request: bytes) -> bytes | None:
        writer.write(request)
        status, body = await read_answer(reader)
        if status != 200 and not reported:
            reported.append(status)
            print(f"  {kind}: answered {status}: {body[:200]!r}", file=sys.stderr)
        return body if status == 200 else None

    async def pair(reader: Reader, writer: Writer) -> bool:
        placed = await once(reader, writer, ask("POST", "/fapi/v1/order", ORDER))
        if placed is None:
            return False
        cancel = {"symbol": "BTCUSDT", "orderId": str(json.loads(placed)["orderId"])}
        return await once(reader, writer, ask("DELETE", "/fapi/v1/order", cancel)) is not None

    async def single(reader: Reader, writer: Writer) -> bool:
        request = ask("GET", "/fapi/v1/time") if kind == "floor" else ask("GET", "/fapi/v2/balance", {})
        return await once(reader, writer, request) is not None

    step: Callable[[Reader, Writer], Awaitable[bool]] = pair if kind == "orders" else single

    async def connection(deadline: float, counts: list[int]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                counts[0 if await step(reader, writer) else 1] += 1
        finally:
            writer.close()

    out.put(asyncio.run(timed_connections(connection, seconds, conns)))


def measure(host: str, port: int, kind: str, key: dict, seconds: float, conns: int) -> tuple[float, int]:
    ok, bad, elapsed = in_process(_client, (host, port, kind, key, seconds, conns), seconds)
    return ok / elapsed, bad


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="Best of this many runs of each (noisy hosts).")
    args = parser.parse_args()

    from tests.fixtures.binance import start_binance_sandbox

    sandbox = start_binance_sandbox(extra_args=["--rate-limit-factor", "0"])
    host, port = "127.0.0.1", int(sandbox.url.rsplit(":", 1)[1])
    try:
        sandbox.server.admin.freeze_prices(True)
        sandbox.server.admin.set_price("BTCUSDT", "95000")
        user = sandbox.server.admin.create_user(futures_deposit={"USDT": "100000"})
        key = sandbox.key(user["email"], ip=())
        results: dict[str, float] = {}
        for _ in range(args.rounds):  # interleaved, so that load from elsewhere hits all alike
            for kind in ("floor", "signed", "orders"):
                rate, bad = measure(host, port, kind, key, args.seconds, args.connections)
                if bad:
                    print(f"{kind}: {bad} answers were not HTTP 200", file=sys.stderr)
                results[kind] = max(results.get(kind, 0.0), rate)
        floor, pairs = results["floor"], results["orders"]
        print(f"  floor  GET /fapi/v1/time:      {floor:8.0f} req/s (best of {args.rounds})")
        print(f"  signed GET /fapi/v2/balance:   {results['signed']:8.0f} req/s")
        print(f"  new + cancel order pairs:      {pairs:8.0f} pairs/s = {2 * pairs:.0f} order req/s")
        print(f"  signed / floor:                {results['signed'] / floor:.2f}")
        print(f"  order requests / floor:        {2 * pairs / floor:.2f}")
        print(json.dumps({"floor_rps": round(floor), "signed_rps": round(results["signed"]),
                          "order_pairs_per_s": round(pairs)}))  # fmt: skip
        return 0
    finally:
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
