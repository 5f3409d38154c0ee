"""Throughput of the sandbox for signed private requests, against a floor measured in the same run.

Starts the real sandbox (subprocess, uvloop + httptools, rate limits off), creates a user and a
key through the admin API, then drives requests from a raw-asyncio HTTP/1.1 client in another
process over several keep-alive connections:

  floor   GET  /system/time                          (public, no auth, trivial payload)
  signed  POST /account/v1/transfer-contract-list    (SIGNED: key, HMAC-SHA256, timestamp window)
  keyed   GET  /contract/private/assets-detail       (KEYED, signed anyway, like ccxt does)

Prints req/s for each and the ratio to the floor. Target: signed >= 3,000 req/s on 2 cores.

    .venv/bin/python bench/bench_sandbox.py [--seconds 4] [--connections 16]
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SIGNED_RPS = 3000


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 answer with a Content-Length: (status, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return int(head[9:12]), await reader.readexactly(length)


def signed_post(host: str, port: int, key: dict, path: str, body: bytes) -> bytes:
    """A SIGNED BitMart POST (X-BM-KEY, X-BM-TIMESTAMP, HMAC-SHA256 X-BM-SIGN) as raw bytes."""
    ts = str(int(time.time() * 1000))
    sign = hmac.new(key["secret_key"].encode(), f"{ts}#{key['memo']}#".encode() + body, hashlib.sha256)
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"X-BM-KEY: {key['api_key']}\r\nX-BM-TIMESTAMP: {ts}\r\nX-BM-SIGN: {sign.hexdigest()}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def in_process(target: Callable[..., None], args: tuple[Any, ...], seconds: float) -> tuple[int, int, float]:
    """Run a client in a fresh process (it must put (ok, bad, elapsed) on the queue passed last)."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get(timeout=seconds + 60)
    proc.join()
    return result


async def timed_connections(
    connection: Callable[[float, list[int]], Any], seconds: float, conns: int
) -> tuple[int, int, float]:
    """`conns` connections at once for 0.3 s of warm-up, then for `seconds` counted:
    (answers ok, answers not ok, seconds taken). `connection(deadline, counts)` runs one."""
    await asyncio.gather(*(connection(time.perf_counter() + 0.3, [0, 0]) for _ in range(conns)))
    counts = [0, 0]
    start = time.perf_counter()
    await asyncio.gather(*(connection(start + seconds, counts) for _ in range(conns)))
    return counts[0], counts[1], time.perf_counter() - start


async def _connection(host: str, port: int, make_request, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            writer.write(make_request())
            status, body = await read_answer(reader)
            if status == 200 and b'"code":1000' in body:
                counts[0] += 1
            else:
                counts[1] += 1
                if counts[1] == 1 and counts[0] == 0:
                    print(f"  unexpected answer {status}: {body[:200]!r}", file=sys.stderr)
    finally:
        writer.close()


def _client(host: str, port: int, kind: str, key: dict, seconds: float, conns: int, out: mp.Queue) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    api_key, secret, memo = key.get("api_key", ""), key.get("secret_key", "").encode(), key.get("memo", "")
    host_hdr = f"Host: {host}:{port}\r\n".encode()

    def system_time() -> bytes:
        return b"GET /system/time HTTP/1.1\r\n" + host_hdr + b"\r\n"

    def transfer_list() -> bytes:
        return signed_post(host, port, key, "/account/v1/transfer-contract-list", b'{"page": 1, "limit": 10}')

    def keyed_get() -> bytes:
        ts = str(int(time.time() * 1000))
        sign = hmac.new(secret, f"{ts}#{memo}#".encode(), hashlib.sha256).hexdigest()
        return (
            f"GET /contract/private/assets-detail HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"X-BM-KEY: {api_key}\r\nX-BM-TIMESTAMP: {ts}\r\nX-BM-SIGN: {sign}\r\n\r\n"
        ).encode()

    make = {"floor": system_time, "signed": transfer_list, "keyed": keyed_get}[kind]

    async def connection(deadline: float, counts: list[int]) -> None:
        await _connection(host, port, make, deadline, counts)

    out.put(asyncio.run(timed_connections(connection, seconds, conns)))


def measure(host: str, port: int, kind: str, key: dict, seconds: float, conns: int) -> tuple[float, int]:
    ok, bad, elapsed = in_process(_client, (host, port, kind, key, seconds, conns), seconds)
    return ok / elapsed, bad


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="Best of this many runs of each (noisy hosts).")
    args = parser.parse_args()

    from tests.fixtures.sandbox import start_sandbox

    server = start_sandbox(extra_args=["--rate-limit-factor", "0"])
    try:
        user = server.admin.create_user(futures_deposit={"USDT": "1000"})
        key = server.admin.create_key(user["email"], memo="bench", ip=())
        results: dict[str, float] = {}
        for _ in range(args.rounds):  # interleaved, so that load from elsewhere hits all alike
            for kind in ("floor", "signed", "keyed"):
                rps, bad = measure(server.host, server.port, kind, key, args.seconds, args.connections)
                if bad:
                    print(f"{kind}: {bad} answers were not code 1000", file=sys.stderr)
                results[kind] = max(results.get(kind, 0.0), rps)
        for kind, rps in results.items():
            print(f"{kind:>7}: {rps:8.0f} req/s (best of {args.rounds})")
        floor = results["floor"]
        for kind in ("signed", "keyed"):
            print(f"{kind:>7} / floor: {results[kind] / floor:.2f}")
        verdict = "PASS" if results["signed"] >= TARGET_SIGNED_RPS else "BELOW TARGET"
        print(
            f"signed private requests: {results['signed']:.0f} req/s, target {TARGET_SIGNED_RPS}: {verdict}"
        )
        print(json.dumps({k: round(v) for k, v in results.items()}))
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
