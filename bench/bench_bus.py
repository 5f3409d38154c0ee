"""The event bus across processes, every broker measured in the same run on the same machine:
the in-process floor (`perpdesk serve`), PostgreSQL LISTEN/NOTIFY (the product's, `live/pg_bus.py`),
Redis pub/sub, Redis Streams (XADD / XREAD BLOCK) and NATS core pub/sub.

Latency: one event at a time, publish -> the subscriber has it (median, p99). Throughput: a burst
of N account-sized events (a whole view without orders, ~1 KB; and a large one, ~20 KB, which
crosses NOTIFY in chunks) published back to back, until the subscriber has the last.
Each broker runs behind the same shape as `PgNotifyBus`: local delivery at once, a bounded outbox
drained by one sender task (a batch per round trip), one listening connection per process, the
same JSON envelope; so the figures compare brokers, not bus designs.

Each broker is skipped with its reason when its URL is not set: PERPDESK_TEST_PG_URL
(`source scripts/pg.sh && pg_start`), PERPDESK_BENCH_REDIS_URL and PERPDESK_BENCH_NATS_URL
(`source scripts/redis.sh && redis_start && nats_start`); scripts/bench.sh starts all three.

    .venv/bin/python bench/bench_bus.py [--events 5000] [--pings 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perpdesk.live.bus import EventBus, InProcessBus, Subscription, account_topic
from perpdesk.live.pg_bus import CHANNEL, PgNotifyBus

VIEW = {"account_id": "a1", "label": "Main", "exchange": "bitmart",
        "freshness": {"state": "fresh", "since_ms": 1, "reason": "", "fresh": True},
        "balances": [{"currency": "USDT", "equity": "10003.12", "available": "9000.1",
                      "unrealized_pnl": "3.12", "position_margin": "1000", "frozen": "0"}],
        "positions": [{"symbol": f"S{i}USDT", "side": "long", "size": "3", "entry_price": "60000.5",
                       "mark_price": "61000", "leverage": "10", "margin_mode": "cross"} for i in range(4)],
        "unrealized_pnl": "3.12", "margin_in_use": "1000", "snapshot_at_ms": 1}
BIG = {**VIEW, "open_orders": [{"order_id": str(i), "symbol": "BTCUSDT", "price": "60000.1", "size": "1",
                                "state": "new", "side": "buy_open_long"} for i in range(150)]}
STREAM_MAXLEN = 100_000  # Streams keep what was sent: bounded (approximately) like any resource


class BrokerBus:
    """`PgNotifyBus`'s shape over another broker: subclasses say how to connect, send a batch, listen."""

    def __init__(self, url: str, *, default_maxsize: int, outbox: int = 10000) -> None:
        self.url = url
        self.local = InProcessBus(default_maxsize=default_maxsize)
        self.origin = uuid.uuid4().hex[:12]
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(outbox)
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = asyncio.Event()  # listening
        self.sending = asyncio.Event()  # the sender's connection is open: no first event waits on it
        self.dropped_total = 0

    def publish(self, topic: str, kind: str, data: dict[str, Any]) -> int:
        seq = self.local.publish(topic, kind, data)
        wire = orjson.dumps({"o": self.origin, "t": topic, "k": kind, "ms": time.time() * 1000, "d": data})
        try:
            self._outbox.put_nowait(wire)
        except asyncio.QueueFull:
            self._outbox.get_nowait()
            self._outbox.put_nowait(wire)
            self.dropped_total += 1
        return seq

    def subscribe(self, topics: Iterable[str], *, maxsize: int | None = None) -> Subscription:
        return self.local.subscribe(topics, maxsize=maxsize)

    def subscriber_count(self, topic: str | None = None) -> int:
        return self.local.subscriber_count(topic)

    def watchers(self, topic: str) -> int:
        return self.local.watchers(topic)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._sender())]

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.close()

    async def _sender(self) -> None:
        send = await self.sender()
        self.sending.set()
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty() and len(batch) < 500:
                batch.append(self._outbox.get_nowait())
            await send(batch)

    def deliver(self, raw: bytes) -> None:
        msg = orjson.loads(raw)
        if msg["o"] != self.origin:  # our own were delivered locally when published
            self.local.publish(msg["t"], msg["k"], msg["d"])

    async def sender(self) -> Callable[[list[bytes]], Awaitable[None]]:
        raise NotImplementedError

    async def _listen(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        pass


class RedisPubSubBus(BrokerBus):
    """PUBLISH, a pipeline per batch; one SUBSCRIBE connection. Fire and forget, like NOTIFY."""

    async def sender(self) -> Callable[[list[bytes]], Awaitable[None]]:
        import redis.asyncio as redis

        self._out = redis.Redis.from_url(self.url)

        async def send(batch: list[bytes]) -> None:
            pipe = self._out.pipeline(transaction=False)
            for raw in batch:
                pipe.publish(CHANNEL, raw)
            await pipe.execute()
        return send

    async def _listen(self) -> None:
        import redis.asyncio as redis

        self._in = redis.Redis.from_url(self.url)
        pubsub = self._in.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL)
        self.connected.set()
        async for msg in pubsub.listen():
            self.deliver(msg["data"])

    async def close(self) -> None:
        for name in ("_out", "_in"):
            if hasattr(self, name):
                await getattr(self, name).aclose()


class RedisStreamBus(RedisPubSubBus):
    """XADD (MAXLEN ~), a pipeline per batch; XREAD BLOCK from the last id read, so a reconnect
    misses nothing the stream still holds (what pub/sub and NOTIFY cannot do)."""

    async def sender(self) -> Callable[[list[bytes]], Awaitable[None]]:
        import redis.asyncio as redis

        self._out = redis.Redis.from_url(self.url)

        async def send(batch: list[bytes]) -> None:
            pipe = self._out.pipeline(transaction=False)
            for raw in batch:
                pipe.xadd(CHANNEL, {"m": raw}, maxlen=STREAM_MAXLEN, approximate=True)
            await pipe.execute()
        return send

    async def _listen(self) -> None:
        import redis.asyncio as redis

        self._in = redis.Redis.from_url(self.url)
        last: Any = await self._in.xrevrange(CHANNEL, count=1)
        after: Any = last[0][0] if last else "0-0"  # from now on, not the stream's history
        self.connected.set()
        while True:
            read: Any = await self._in.xread({CHANNEL: after}, count=500, block=5000)
            for _stream, entries in read or ():
                for entry_id, fields in entries:
                    self.deliver(fields[b"m"])
                    after = entry_id


class NatsBus(BrokerBus):
    """NATS core: publish (the client batches writes itself), one subscription with a callback."""

    async def sender(self) -> Callable[[list[bytes]], Awaitable[None]]:
        import nats

        self._out = await nats.connect(self.url, connect_timeout=10)

        async def send(batch: list[bytes]) -> None:
            for raw in batch:
                await self._out.publish(CHANNEL, raw)
        return send

    async def _listen(self) -> None:
        import nats

        self._in = await nats.connect(self.url, connect_timeout=10)

        async def on_msg(msg: Any) -> None:
            self.deliver(msg.data)
        await self._in.subscribe(CHANNEL, cb=on_msg, pending_msgs_limit=200_000)
        await self._in.flush()  # the server has the subscription: what is sent now arrives
        self.connected.set()

    async def close(self) -> None:
        for name in ("_out", "_in"):
            if hasattr(self, name):
                await getattr(self, name).close()


async def latency(pub: EventBus, sub: Subscription, pings: int) -> list[float]:
    out = []
    for _ in range(pings):
        t0 = time.perf_counter()
        pub.publish(account_topic("a1"), "account", VIEW)
        assert await sub.get(10) is not None
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def burst(pub: EventBus, sub: Subscription, n: int, data: dict[str, Any]) -> tuple[float, float]:
    """events/s, and this process's CPU per event in µs (both ends' client work: on a shared box
    it says what the wall clock cannot; the broker server's own CPU is not in it)."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        pub.publish(account_topic("a1"), "account", data)
    for _ in range(n):
        assert await sub.get(30) is not None, "an event was lost"
    return n / (time.perf_counter() - t0), (time.process_time() - cpu0) / n * 1e6


# name -> one (latency median ms, p99 ms, ~1 KB events/s, ~20 KB events/s, CPU µs per ~1 KB event,
# per ~20 KB event) per round
ROWS: dict[str, list[tuple[float, ...]]] = {}


def report(name: str, lat: list[float], small: tuple[float, float], big: tuple[float, float]) -> None:
    lat.sort()
    p99 = lat[int(len(lat) * .99)]
    median = statistics.median(lat)
    ROWS.setdefault(name, []).append((median, p99, small[0], big[0], small[1], big[1]))
    print(f"{name:>22}: latency median {median:7.3f} ms  p99 {p99:7.3f} ms"
          f" | {small[0]:6.0f} events/s, {small[1]:4.0f} µs CPU (~1 KB)"
          f" | {big[0]:6.0f} events/s, {big[1]:5.0f} µs CPU (~20 KB)", flush=True)


def summary() -> None:
    """Each figure's median over the rounds (a shared box: rounds interleave brokers, so a busy
    moment falls on all of them), as the docs' table, then against the floor."""
    mid = {name: [statistics.median(r[i] for r in rounds) for i in range(6)] for name, rounds in ROWS.items()}
    print(f"\nmedian of {len(ROWS['in-process'])} rounds:\n| bus | latency median | p99 |"
          " ~1 KB events/s | ~20 KB events/s | CPU/event ~1 KB | ~20 KB |\n|---|---|---|---|---|---|---|")
    for name, (median, p99, small, big, small_cpu, big_cpu) in mid.items():
        print(f"| {name} | {median:.3f} ms | {p99:.1f} ms | {small:,.0f} | {big:,.0f} |"
              f" {small_cpu:,.0f} µs | {big_cpu:,.0f} µs |")
    floor = mid["in-process"]
    print("\nagainst the in-process floor of this run (latency x slower, throughput % of it):")
    for name, (median, p99, small, big, *_cpu) in list(mid.items())[1:]:
        print(f"{name:>22}: median x{median / floor[0]:.0f}  p99 x{p99 / floor[1]:.0f}"
              f" | ~1 KB {100 * small / floor[2]:.0f}% | ~20 KB {100 * big / floor[3]:.1f}%")


async def measure(name: str, worker: Any, web: Any, events: int, pings: int) -> None:
    """worker publishes, web (another bus instance: another process's) receives."""
    worker.start()
    web.start()
    try:
        ready = [bus.connected.wait() for bus in (worker, web)]
        ready += [bus.sending.wait() for bus in (worker, web) if isinstance(bus, BrokerBus)]
        await asyncio.wait_for(asyncio.gather(*ready), 30)  # a loaded box connects slowly
        far = web.subscribe([account_topic("a1")])
        report(name, await latency(worker, far, pings), await burst(worker, far, events, VIEW),
               await burst(worker, far, events // 10, BIG))
        if worker.dropped_total + web.dropped_total:
            print(f"{'':>22}  dropped {worker.dropped_total + web.dropped_total}")
    except BaseException:
        for task in worker._tasks + web._tasks:  # a client's failure is the likeliest cause: say it
            if task.done() and not task.cancelled() and task.exception():
                print(f"{name}: {task.get_name()} failed: {task.exception()!r}")
        raise
    finally:
        await worker.aclose()
        await web.aclose()


# name, the env var of its URL, its client module, the bus (url, outbox=, default_maxsize=)
BROKERS: list[tuple[str, str, str, Callable[..., Any]]] = [
    ("PostgreSQL NOTIFY", "PERPDESK_TEST_PG_URL", "asyncpg", PgNotifyBus),
    ("Redis pub/sub", "PERPDESK_BENCH_REDIS_URL", "redis", RedisPubSubBus),
    ("Redis Streams", "PERPDESK_BENCH_REDIS_URL", "redis", RedisStreamBus),
    ("NATS", "PERPDESK_BENCH_NATS_URL", "nats", NatsBus),
]


async def main(events: int, pings: int, rounds: int) -> None:
    print(f"event sizes: {len(orjson.dumps(VIEW))} and {len(orjson.dumps(BIG))} bytes of JSON")
    runnable = []
    for name, env, module, bus in BROKERS:
        url = os.environ.get(env)
        if not url or importlib.util.find_spec(module) is None:
            why = f"{env} not set (scripts/pg.sh, scripts/redis.sh)" if not url else f"no module {module}"
            print(f"{name:>22}: skipped, {why}")
        else:
            importlib.import_module(module)  # not inside a measurement
            runnable.append((name, url, bus))
    for round_no in range(1, rounds + 1):
        print(f"-- round {round_no}/{rounds}")
        local = InProcessBus(default_maxsize=events * 2)
        sub = local.subscribe([account_topic("a1")])
        report("in-process", await latency(local, sub, pings), await burst(local, sub, events, VIEW),
               await burst(local, sub, events // 10, BIG))
        for name, url, bus in runnable:
            worker, web = (bus(url, outbox=events * 2, default_maxsize=events * 2) for _ in range(2))
            await measure(name, worker, web, events, pings)
    summary()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--pings", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    import uvloop

    uvloop.run(main(args.events, args.pings, args.rounds))
