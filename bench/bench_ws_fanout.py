"""WebSocket fan-out of the sandbox: one depth channel to many subscribers, beside a floor.

Starts the real sandbox (subprocess; prices move only when told), opens N subscribers (default
500) to `futures/depth20:BTCUSDT` from a client process, then runs R rounds: each round sets the
BTCUSDT price through the admin API and waits until every subscriber has both depth pushes of the
tick (bids and asks). The floor is a bare `websockets` server (uvloop) broadcasting the same two
frames to the same number of subscribers when a control connection says so, measured the same way.

Prints, for both: fan-out time per round (trigger sent -> last subscriber has both frames; median
and p90) and frames delivered per second; then the sandbox / floor ratios.

    .venv/bin/python bench/bench_ws_fanout.py [--subscribers 500] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GROUP = "futures/depth20:BTCUSDT"
FRAMES_PER_ROUND = 2  # a depth tick pushes one frame per side of the book


def _uvloop() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass


# ---- the floor: a bare websockets server ------------------------------------------------------------
def _floor_server(port: int, frames: list[str], ready: Any) -> None:
    _uvloop()
    from websockets.asyncio.server import broadcast, serve
    from websockets.exceptions import ConnectionClosed

    subscribers: set[Any] = set()

    async def handler(ws: Any) -> None:
        first = await ws.recv()
        if first == "control":  # anything else is a subscription
            with contextlib.suppress(ConnectionClosed):
                async for _ in ws:
                    for frame in frames:
                        broadcast(subscribers, frame)
            return
        subscribers.add(ws)
        await ws.send(json.dumps({"action": "subscribe", "group": GROUP, "success": True}))
        try:
            await ws.wait_closed()
        finally:
            subscribers.discard(ws)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, max_queue=None):
            ready.set()
            await asyncio.Future()

    asyncio.run(main())


# ---- the measuring client ---------------------------------------------------------------------------
class _Subscriber(asyncio.Protocol):
    """A minimal WebSocket client that subscribes and counts the frames it gets (no decoding), so
    the client process costs little next to the server under test."""

    def __init__(self, host: str, port: int, on_frame: Any) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.request = (f"GET /api?protocol=1.1 HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n").encode()
        self.on_frame = on_frame
        self.buffer = b""
        self.upgraded = False
        self.acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            assert head.startswith(b"HTTP/1.1 101"), head
            self.upgraded, self.buffer = True, rest
            self.transport.write(_masked(json.dumps({"action": "subscribe", "args": [GROUP]}).encode()))
        buf, pos = self.buffer, 0
        while len(buf) - pos >= 2:
            size, start = buf[pos + 1] & 0x7F, pos + 2
            if size == 126:
                if len(buf) - pos < 4:
                    break
                size, start = int.from_bytes(buf[pos + 2:pos + 4], "big"), pos + 4
            elif size == 127:
                if len(buf) - pos < 10:
                    break
                size, start = int.from_bytes(buf[pos + 2:pos + 10], "big"), pos + 10
            if len(buf) - start < size:
                break
            pos = start + size
            if not self.acked.done():
                self.acked.set_result(None)  # the first frame is the acknowledgement
            else:
                self.on_frame()
        self.buffer = buf[pos:]


def _masked(payload: bytes) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0xFE]) + n.to_bytes(2, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _client(kind: str, url: str, admin: dict[str, str], subscribers: int, rounds: int, out: Any) -> None:
    _uvloop()

    async def main() -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        counts = [0]
        target = [0]
        done = asyncio.Event()

        def on_frame() -> None:
            counts[0] += 1
            if counts[0] >= target[0]:
                done.set()

        host, port = url.split("//", 1)[1].split(":")
        conns = []
        for _ in range(subscribers):
            _transport, proto = await loop.create_connection(
                lambda: _Subscriber(host, int(port), on_frame), host, int(port))
            await asyncio.wait_for(proto.acked, 10)
            conns.append(proto)
        trigger = await _trigger(kind, url, admin)
        times: list[float] = []
        for i in range(rounds + 1):  # the first round warms up
            target[0] = counts[0] + subscribers * FRAMES_PER_ROUND
            done.clear()
            start = time.perf_counter()
            await trigger(i)
            await asyncio.wait_for(done.wait(), 60)
            if i:
                times.append(time.perf_counter() - start)
        for proto in conns:
            proto.transport.close()
        return {"times": times}

    out.put(asyncio.run(main()))


async def _trigger(kind: str, url: str, admin: dict[str, str]) -> Any:
    if kind == "floor":
        import websockets

        control = await websockets.connect(url)
        await control.send("control")

        async def go(_: int) -> None:
            await control.send("go")

        return go
    host, port = url.split("//", 1)[1].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    mark = Decimal(admin["mark"])

    async def set_price(i: int) -> None:
        body = json.dumps({"symbol": "BTCUSDT", "price": str(mark + i % 2)}).encode()
        writer.write(
            f"POST /sandbox-admin/price HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {admin['token']}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line[15:]) for line in head.split(b"\r\n")
                      if line[:15].lower() == b"content-length:")
        await reader.readexactly(length)
        assert head.startswith(b"HTTP/1.1 200"), head

    return set_price


def measure(kind: str, url: str, admin: dict[str, str], subscribers: int, rounds: int) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    queue: Any = ctx.Queue()
    proc = ctx.Process(target=_client, args=(kind, url, admin, subscribers, rounds, queue))
    proc.start()
    try:
        times = queue.get(timeout=300)["times"]
    finally:
        proc.join(30)
        if proc.is_alive():
            proc.kill()
    times.sort()
    return {
        "median_ms": statistics.median(times) * 1000,
        "p90_ms": times[min(len(times) - 1, int(len(times) * 0.9))] * 1000,
        "frames_per_s": subscribers * FRAMES_PER_ROUND * len(times) / sum(times),
    }


def _sample_frames(ws_url: str, set_price: Any) -> list[str]:
    """Two real depth20 pushes of the sandbox, for the floor to send."""
    from websockets.sync.client import connect

    with connect(ws_url + "/api?protocol=1.1", max_size=None) as ws:
        ws.send(json.dumps({"action": "subscribe", "args": [GROUP]}))
        ws.recv(5)
        set_price()
        return [ws.recv(5) for _ in range(FRAMES_PER_ROUND)]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    from tests.fixtures.procs import free_port
    from tests.fixtures.sandbox import start_sandbox

    server = start_sandbox()
    ctx = mp.get_context("spawn")
    floor_proc = None
    try:
        mark = server.admin.market()["marks"]["BTCUSDT"]
        frames = _sample_frames(server.ws_url, lambda: server.admin.set_price("BTCUSDT", mark))
        port = free_port()
        ready = ctx.Event()
        floor_proc = ctx.Process(target=_floor_server, args=(port, frames, ready), daemon=True)
        floor_proc.start()
        if not ready.wait(30):
            raise RuntimeError("the floor server did not start")
        admin = {"token": server.admin_token, "mark": mark}
        results = {
            "floor": measure("floor", f"ws://127.0.0.1:{port}", admin, args.subscribers, args.rounds),
            "sandbox": measure("sandbox", server.ws_url, admin, args.subscribers, args.rounds),
        }
        size = sum(len(f) for f in frames) // len(frames)
        print(f"{args.subscribers} subscribers of {GROUP}, {args.rounds} rounds, ~{size} bytes per frame")
        for kind, r in results.items():
            print(f"{kind:>8}: fan-out median {r['median_ms']:7.1f} ms, p90 {r['p90_ms']:7.1f} ms, "
                  f"{r['frames_per_s']:9.0f} frames/s")
        floor, sandbox = results["floor"], results["sandbox"]
        print(f"sandbox / floor: fan-out time x{sandbox['median_ms'] / floor['median_ms']:.2f}, "
              f"throughput x{sandbox['frames_per_s'] / floor['frames_per_s']:.2f}")
        print(json.dumps({k: {m: round(v, 1) for m, v in r.items()} for k, r in results.items()}))
        return 0
    finally:
        if floor_proc is not None:
            floor_proc.kill()
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
