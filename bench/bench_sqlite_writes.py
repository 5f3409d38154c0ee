"""SQLite writers at once (`perpdesk serve`'s embedded database): the platform's engine, whose
writers queue one at a time (perpdesk/store/sqlite_writes.py), against the engine as it was before
(every writer polling in SQLite's busy handler, 10 s busy timeout), and a floor: the same
transactions one after the other from a single task (no contention at all).

Each account claims a ticket and writes its intent in one transaction, then records the outcome
and releases the claim in another (as trading.send_intent does), for `--seconds`, all accounts at
once, while `--readers` page loads read the same tables. `--busy-loop-ms` keeps the event loop
busy that long between short sleeps, as 100 accounts' traffic does on a loaded box. Variants are
interleaved round by round (medians compared); each gets a fresh database file.

    .venv/bin/python bench/bench_sqlite_writes.py [--accounts 100] [--seconds 8] [--rounds 3]
        [--readers 20] [--busy-loop-ms 0] [--uvloop]

Prints orders/s (claim + outcome: two write transactions each), order latency p50/p99/max, and
how many were refused ("database is locked"); the ratio is to the floor's orders/s.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from perpdesk.services.in_flight import TicketDesk, TicketTerms
from perpdesk.store import db
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.order_records import IntentRecord
from perpdesk.store.records import AccountRecord
from perpdesk.store.uow import SqlUnitOfWork
from perpdesk.vault import Keyring, StaticMasterKey, Vault


def engine_before(url: str) -> AsyncEngine:
    """make_engine as it was: pysqlite's deferred BEGIN, every writer waiting in busy_timeout."""
    engine = create_async_engine(url, connect_args={"timeout": 10})
    event.listen(engine.sync_engine, "connect", db._sqlite_pragmas)
    return engine


@dataclass
class Figures:
    orders: int = 0
    seconds: float = 0.0
    refused: int = 0
    latency: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0


async def _accounts(uows: Any, n: int) -> list[tuple[str, str]]:
    out = []
    async with uows() as uow:
        for i in range(n):
            user = await uow.users.create(f"b{i}-{secrets.token_hex(3)}@example.com", "hash")
            now = utcnow()
            row = AccountRecord(
                id=new_id(), user_id=user.id, exchange="binance", api_url="http://x.test",
                market="futures", label=f"A{i}", method="manual", status="active",
                api_key_hash=secrets.token_hex(32), api_key_mask="ab…cd", warnings=(),
                created_at=now, updated_at=now,
            )
            await uow.accounts.add(row)
            out.append((user.id, row.id))
        await uow.commit()
    return out


async def _order(uows: Any, desk: TicketDesk, user_id: str, account_id: str, n: int) -> None:
    now = utcnow()
    cid = secrets.token_hex(8)
    intent = IntentRecord(
        id=new_id(), user_id=user_id, account_id=account_id, exchange="binance", client_order_id=cid,
        purpose="order", symbol="ETHUSDT", side="buy_open_long", type="limit", time_in_force="gtc",
        size=Decimal(n), price=Decimal("3000"), status="pending", created_at=now, updated_at=now,
        decided_after=now + timedelta(seconds=10),
    )

    async def write_intent(uow: Any) -> None:
        await uow.orders.by_client_id(user_id, account_id, cid)
        await uow.orders.add(intent)

    terms = TicketTerms("order", "ETHUSDT", "buy_open_long", Decimal(n), Decimal("3000"))
    claim = await desk.claim(uows, user_id, account_id, terms, cid, also=write_intent)
    await asyncio.sleep(0)  # the exchange answers
    async with uows() as uow:
        await desk.release_in(uow, claim)
        row = await uow.orders.by_client_id(user_id, account_id, cid)
        await uow.orders.save(replace(row, status="placed", settled_at=utcnow()))
        await uow.commit()


async def run(variant: str, args: argparse.Namespace) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'perpdesk.sqlite3'}"
        await db.migrate(url)
        engine = engine_before(url) if variant == "busy handler (before)" else db.make_engine(url)
        sessions = db.make_sessionmaker(engine)
        vault = Vault(StaticMasterKey(Keyring.generate()))

        def uows() -> SqlUnitOfWork:
            return SqlUnitOfWork(sessions, vault)

        try:
            accounts = await _accounts(uows, args.accounts)
            figures = Figures()
            desk = TicketDesk()
            stop_at = time.monotonic() + args.seconds

            async def trader(user_id: str, account_id: str) -> None:
                n = 0
                while time.monotonic() < stop_at:
                    n += 1
                    began = time.monotonic()
                    try:
                        await _order(uows, desk, user_id, account_id, n)
                        figures.orders += 1
                    except OperationalError:
                        figures.refused += 1
                    figures.latency.append(time.monotonic() - began)

            async def page(user_id: str, account_id: str) -> None:
                while time.monotonic() < stop_at:
                    async with uows() as uow:
                        await uow.accounts.owned(user_id, account_id)
                        await uow.orders.for_account(user_id, account_id)
                    await asyncio.sleep(0.005)

            async def busy_loop() -> None:
                while time.monotonic() < stop_at:
                    spin = time.monotonic()
                    while time.monotonic() - spin < args.busy_loop_ms / 1000:
                        pass
                    await asyncio.sleep(0.005)

            began = time.monotonic()
            busy = [busy_loop()] if args.busy_loop_ms else []  # the floor's loop is as busy
            if variant == "floor (one task)":
                await asyncio.gather(trader(*accounts[0]), *busy)
            else:
                await asyncio.gather(*(trader(u, a) for u, a in accounts),
                                     *(page(u, a) for u, a in accounts[: args.readers]), *busy)
            figures.seconds = time.monotonic() - began
            return figures
        finally:
            await engine.dispose()


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else 0.0


async def main(args: argparse.Namespace) -> None:
    variants = ["floor (one task)", "queued (platform)", "busy handler (before)"]
    results: dict[str, list[Figures]] = {v: [] for v in variants}
    for _ in range(args.rounds):
        for variant in variants:
            results[variant].append(await run(variant, args))
    floor = statistics.median(f.rate for f in results[variants[0]])
    print(f"{args.accounts} accounts, {args.readers} readers, {args.seconds:.0f} s x {args.rounds} rounds, "
          f"busy loop {args.busy_loop_ms} ms, {'uvloop' if args.uvloop else 'asyncio'}")
    print("| engine | orders/s (median) | x floor | order p50 | p99 | max | refused |")
    print("|---|---|---|---|---|---|---|")
    for variant in variants:
        runs = results[variant]
        rate = statistics.median(f.rate for f in runs)
        latency = [x for f in runs for x in f.latency]
        print(f"| {variant} | {rate:.0f} | {rate / floor:.2f} | {_pct(latency, .5) * 1000:.0f} ms | "
              f"{_pct(latency, .99) * 1000:.0f} ms | {max(latency) * 1000:.0f} ms | "
              f"{sum(f.refused for f in runs)} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--busy-loop-ms", type=float, default=0.0)
    parser.add_argument("--uvloop", action="store_true")
    ns = parser.parse_args()
    if ns.uvloop:
        import uvloop

        uvloop.run(main(ns))
    else:
        asyncio.run(main(ns))
