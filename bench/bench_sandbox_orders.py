"""Order-path throughput of the sandbox: submit + cancel pairs with persistence on (a real SQLite
state file, every acknowledged change on disk before the answer) and rate limits off, against the
`/system/time` floor measured by the same client in the same run.

Each keep-alive connection loops: POST submit-order (a limit buy far below the mark, so it rests),
read its order_id, POST cancel-order for it. Prints pairs/s, requests/s and the ratio of order
requests to floor requests per second.

    .venv/bin/python bench/bench_sandbox_orders.py [--seconds 4] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_sandbox import in_process, read_answer, signed_post, timed_connections  # noqa: E402
from bench.bench_sandbox import measure as measure_floor  # noqa: E402


def _client(host: str, port: int, key: dict, seconds: float, conns: int, out: mp.Queue) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    def post(path: str, body: bytes) -> bytes:
        return signed_post(host, port, key, path, body)

    submit = (
        b'{"symbol":"BTCUSDT","side":1,"type":"limit","price":"50000","size":1,'
        b'"leverage":"10","open_type":"cross"}'
    )

    async def connection(deadline: float, counts: list[int]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                writer.write(post("/contract/private/submit-order", submit))
                status, body = await read_answer(reader)
                doc = json.loads(body)
                if status != 200 or doc["code"] != 1000:
                    counts[1] += 1
                    if counts[1] == 1:
                        print(f"  submit answered {status}: {body[:200]!r}", file=sys.stderr)
                    continue
                cancel = json.dumps({"symbol": "BTCUSDT", "order_id": str(doc["data"]["order_id"])}).encode()
                writer.write(post("/contract/private/cancel-order", cancel))
                status, body = await read_answer(reader)
                if status == 200 and b'"code":1000' in body:
                    counts[0] += 1
                else:
                    counts[1] += 1
        finally:
            writer.close()

    out.put(asyncio.run(timed_connections(connection, seconds, conns)))


def measure_orders(host: str, port: int, key: dict, seconds: float, conns: int) -> tuple[float, int]:
    ok, bad, elapsed = in_process(_client, (host, port, key, seconds, conns), seconds)
    return ok / elapsed, bad


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="Best of this many runs of each (noisy hosts).")
    args = parser.parse_args()

    from tests.fixtures.sandbox import start_sandbox

    state = str(Path(tempfile.mkdtemp(prefix="perpdesk-bench-")) / "orders.sqlite")
    server = start_sandbox(state, extra_args=["--rate-limit-factor", "0"])
    try:
        server.admin.freeze_prices(True)
        server.admin.set_price("BTCUSDT", "95000")
        user = server.admin.create_user(futures_deposit={"USDT": "100000"})
        key = server.admin.create_key(user["email"], memo="bench", ip=())
        floor = pairs = 0.0
        for _ in range(args.rounds):  # interleaved, so that load from elsewhere hits both alike
            rps, _ = measure_floor(server.host, server.port, "floor", key, args.seconds, args.connections)
            floor = max(floor, rps)
            pps, bad_orders = measure_orders(server.host, server.port, key, args.seconds, args.connections)
            if bad_orders:
                print(f"orders: {bad_orders} answers were not code 1000", file=sys.stderr)
            pairs = max(pairs, pps)
        print(f"  floor GET /system/time: {floor:8.0f} req/s (best of {args.rounds})")
        print(f"  submit + cancel pairs:  {pairs:8.0f} pairs/s = {2 * pairs:.0f} order req/s (persisted)")
        print(f"  order requests / floor: {2 * pairs / floor:.2f}")
        print(json.dumps({"floor_rps": round(floor), "order_pairs_per_s": round(pairs)}))
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
