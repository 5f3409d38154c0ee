"""Mirrors beyond one process: N sandbox accounts mirrored from a cold start by 1, then 2 workers.

Real processes on loopback: the BitMart sandbox, PostgreSQL (PERPDESK_TEST_PG_URL, scripts/pg.sh)
and `perpdesk worker`s, each with its own source addresses (127.0.10.x, 127.0.11.x: one per 400
accounts, under the sandbox's 500 WebSockets per address as BitMart's). The accounts are made
with the sandbox's bulk admin endpoint (a share of them holding 1 ETHUSDT contract) and stored in a
fresh database the platform's own way (one key inspected for real, every key sealed by the vault).
For each worker count, from the workers' spawn:

- time until every account is fresh (their /metrics `perpdesk_mirrors`, which also says how many
  each worker owns: first-come or spread, the bench works either way), and the workers' CPU for it;
- an idle window (prices frozen, each mirror reconciles once), opened once the order settler's
  start-up pass (its reconciliation of every account) is done: RSS and CPU per account per minute
  of the workers (less a worker of an empty database, run beside them), PostgreSQL transactions
  and rows read per account per minute (pg_stat_database deltas), NOTIFYs per account per minute;
- events end to end: a new ETHUSDT price set through the admin API, timed until a LISTENing
  client has every holding account's view with the new mark over PostgreSQL NOTIFY.

Floors, in the same run: the same N private streams opened by the connector alone in one
process (login, subscribe, REST snapshot: time to all open; then N idle connections: RSS and CPU);
the same number of NOTIFYs of the same size sent by one client (events/s of the broker alone).

    PERPDESK_TEST_PG_URL=... .venv/bin/python bench/bench_mirrors.py [--accounts 10000]
        [--holding 0.2] [--window 65] [--workers 1,2] [--settle S] [--profile DIR]

The sandbox's rate limits are off (--rate-limit-factor 0): the platform's cost is measured, not
BitMart's pacing of a cold start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SYM = "ETHUSDT"
BATCH = 5000  # the bulk endpoint's most per request
STORE_CHUNK = 500  # accounts stored per transaction
PER_ADDRESS = 400  # accounts planned per source address (the platform's cap is 450)


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _spy(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling `pid` for `seconds` (collapsed stacks in `out`): where idle CPU goes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen([str(spy), "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "50",
                             "--format", "raw", "-o", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for got, value in re.findall(rf"^{re.escape(name)}(\{{[^}}]*\}})? (\S+)$", text, re.M):
        if all(f'{k}="{v}"' in got for k, v in labels.items()):
            total += float(value)
    return total


# ---- the accounts -------------------------------------------------------------------------------
def make_accounts(sandbox: Any, n: int, holding: int) -> list[dict[str, Any]]:
    """n sandbox accounts with keys; the first `holding` hold 1 ETHUSDT contract long (cross)."""
    out: list[dict[str, Any]] = []
    tag = secrets.token_hex(3)
    for start in range(0, n, BATCH):
        count = min(BATCH, n - start)
        hold = max(0, min(count, holding - start))
        for part, with_position in ((hold, True), (count - hold, False)):
            if not part:
                continue
            body: dict[str, Any] = {"count": part, "email_prefix": f"b{tag}-{start}-{int(with_position)}",
                                    "futures_usdt": "1000"}
            if with_position:
                body["position"] = {"symbol": SYM, "size": 1, "leverage": "5"}
            out.extend(sandbox.admin.client.call("POST", "/bulk-accounts", body)["accounts"])
    return out


def platform_env(pg_url: str, data_dir: Path, sandbox: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERPDESK_")}
    env.update(
        PERPDESK_DATABASE_URL=pg_url, PERPDESK_DATA_DIR=str(data_dir),
        PERPDESK_MASTER_KEY_FILE=str(data_dir / "master.key"), PERPDESK_HOST="127.0.0.1",
        PERPDESK_BITMART_API_URL=sandbox.base_url, PERPDESK_BITMART_WEB_URL=sandbox.base_url,
        PERPDESK_BITMART_WS_URL=sandbox.ws_url + "/user?protocol=1.1",
        PERPDESK_LIVE_SCAN_INTERVAL_S="5", PERPDESK_LIVE_RECONCILE_INTERVAL_S="60",  # the defaults
        PERPDESK_LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    )
    return env


async def store_accounts(env: dict[str, str], accounts: list[dict[str, Any]]) -> float:
    """Users and accounts in the platform's database as the connect flow leaves them (the first
    key inspected at the exchange, its audit reused for the others). Returns seconds taken."""
    os.environ.update(env)
    from perpdesk.bootstrap import running
    from perpdesk.core.models import ConnectMethod, Credentials
    from perpdesk.services.account_access import inspect_storable, store_new_account
    from perpdesk.settings import load_settings
    from perpdesk.store.repos import UserRepo
    from perpdesk.vault import ensure_keyring_file

    ensure_keyring_file(Path(env["PERPDESK_MASTER_KEY_FILE"]))
    t0 = time.monotonic()
    async with running(load_settings()) as services:
        deps = services.accounts
        venue = deps.venue_for("bitmart")
        first = accounts[0]
        audit = await inspect_storable(
            deps, venue, Credentials(first["api_key"], first["secret_key"], first["memo"]))
        for start in range(0, len(accounts), STORE_CHUNK):
            async with deps.uow() as uow:
                users = UserRepo(uow.session)  # type: ignore[attr-defined]  # (the SQL unit of work)
                for acct in accounts[start:start + STORE_CHUNK]:
                    user = await users.create(acct["email"], "bench-no-sign-in")
                    await store_new_account(
                        deps, uow, user_id=user.id, venue=venue,
                        creds=Credentials(acct["api_key"], acct["secret_key"], acct["memo"]),
                        result=replace(audit, account_id=acct["uid"]), method=ConnectMethod.MANUAL,
                        label="bench")
                await uow.commit()
    return time.monotonic() - t0


# ---- PostgreSQL: counters and the listener ------------------------------------------------------
def dsn(url: str) -> str:
    from perpdesk.live.pg_bus import asyncpg_dsn

    return asyncpg_dsn(url)


async def db_counters(pg_dsn: str, db: str) -> dict[str, float]:
    import asyncpg

    conn = await asyncpg.connect(pg_dsn)
    try:
        row = await conn.fetchrow(
            "SELECT xact_commit + xact_rollback AS xacts, tup_returned, tup_fetched, "
            "tup_inserted + tup_updated + tup_deleted AS writes FROM pg_stat_database WHERE datname = $1", db)
        return {k: float(v) for k, v in dict(row).items()}
    finally:
        await conn.close()


class Listener:
    """LISTENs on the platform's channel: counts notifications and the account views per mark."""

    def __init__(self, pg_dsn: str) -> None:
        from perpdesk.live.pg_bus import Joiner

        self.dsn, self.joiner = pg_dsn, Joiner()
        self.notifies = 0
        self.events = 0
        self.bytes = 0
        self.sample = b""
        self.want: Decimal | None = None
        self.seen: set[str] = set()
        self.last_at = 0.0
        self.conn: Any = None

    async def start(self) -> None:
        import asyncpg

        from perpdesk.live.pg_bus import CHANNEL

        self.conn = await asyncpg.connect(self.dsn)
        await self.conn.add_listener(CHANNEL, self._on)

    def _on(self, _c: object, _pid: int, _ch: str, payload: str) -> None:
        import orjson

        self.notifies += 1
        raw = self.joiner.feed(payload)
        if raw is None:
            return
        self.events += 1
        self.bytes += len(raw)
        msg = orjson.loads(raw)
        if msg.get("k") != "account" or self.want is None:
            return
        view = msg["d"].get("view") or msg["d"]
        marks = [Decimal(p["mark_price"]) for p in view.get("positions", []) if p.get("symbol") == SYM]
        if marks and marks[0] == self.want:
            self.seen.add(view["account_id"])
            self.last_at = time.perf_counter()
            if not self.sample:
                self.sample = raw

    async def aclose(self) -> None:
        if self.conn is not None:
            await self.conn.close()


async def notify_floor(pg_dsn: str, listener: Listener, count: int) -> float:
    """Events/s of the broker alone: `count` NOTIFYs of the sample view's size, sent as a worker
    sends them (500 per transaction), until the listener has them all."""
    import asyncpg

    from perpdesk.live.pg_bus import CHANNEL, split_message

    raw = listener.sample or b'{"k":"floor","pad":"' + b"x" * 1500 + b'"}'
    conn = await asyncpg.connect(pg_dsn)
    try:
        before = listener.events
        t0 = time.perf_counter()
        for start in range(0, count, 500):
            # each payload its own: PostgreSQL delivers identical ones of a transaction once
            args = [(CHANNEL, p) for i in range(start, min(count, start + 500))
                    for p in split_message(raw[:-1] + f',"n":{i}}}'.encode(), f"floor-{i}")]
            await conn.executemany("SELECT pg_notify($1, $2)", args)
        while listener.events - before < count:
            await asyncio.sleep(0.005)
        return count / (time.perf_counter() - t0)
    finally:
        await conn.close()


# ---- the workers --------------------------------------------------------------------------------
def addresses(prefix: str, accounts: int) -> list[str]:
    """Enough loopback source addresses for `accounts` WebSockets under BitMart's ~500 per address
    (the platform caps each at PERPDESK_WS_PER_ADDRESS_MAX, 450), plus the market data's."""
    return [f"{prefix}.{i}" for i in range(1, accounts // PER_ADDRESS + 2)]


class Worker:
    def __init__(self, env: dict[str, str], sources: list[str], log: Path) -> None:
        self.url = f"http://127.0.0.1:{_port()}"
        env = {**env, "PERPDESK_PORT": self.url.rsplit(":", 1)[1],
               "PERPDESK_EGRESS_SOURCE_ADDRESSES": ",".join(sources)}
        self.log = log
        self.start_cpu = 0.0  # CPU seconds it took to start with no account
        self.proc = subprocess.Popen([str(ROOT / ".venv/bin/perpdesk"), "worker"], env=env,
                                     stdout=log.open("w"), stderr=subprocess.STDOUT)

    def answers(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def mirrors(self) -> tuple[float, float]:
        """(fresh, owned) from /metrics; (0, 0) until it answers."""
        if self.proc.poll() is not None:
            raise RuntimeError(f"a worker exited; its log:\n{self.log.read_text()[-3000:]}")
        try:
            text = httpx.get(self.url + "/metrics", timeout=5).text
        except httpx.HTTPError:
            return 0.0, 0.0
        fresh = _metric(text, "perpdesk_mirrors", state="fresh")
        return fresh, fresh + _metric(text, "perpdesk_mirrors", state="not_fresh")

    def job_runs(self, job: str) -> float:
        try:
            text = httpx.get(self.url + "/metrics", timeout=5).text
        except httpx.HTTPError:
            return 0.0
        return _metric(text, "perpdesk_job_runs_total", job=job)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


async def run_workers(k: int, n: int, holding: int, env: dict[str, str], db: str, pg_dsn: str,
                      sandbox: Any, idle: Worker, window_s: float, logs: Path,
                      profile: Path | None = None, settle_s: float = 0.0) -> dict[str, Any]:
    out: dict[str, Any] = {"workers": k}
    admin = sandbox.admin
    admin.freeze_prices(True)
    admin.set_price(SYM, "3000")
    t0 = time.monotonic()
    # each worker its own addresses, each enough for every account (first come or spread alike)
    workers = [Worker(env, addresses(f"127.0.{10 + i}", n), logs / f"worker{k}-{i}.log") for i in range(k)]
    try:
        deadline = t0 + max(600.0, n * 0.3)
        nudge = 0
        while True:
            states = [w.mirrors() for w in workers]
            if sum(f for f, _o in states) >= n:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"not all fresh: {states}")
            # a holding account is fresh once its mark is live: the frozen market pushes a ticker
            # only when the price is set
            nudge += 1
            with contextlib.suppress(httpx.HTTPError):  # a sandbox busy with logins: next time
                await asyncio.to_thread(admin.set_price, SYM, "3000" if nudge % 2 else "3000.1")
            await asyncio.sleep(1.0)  # /metrics builds every view: not too often
        out["fresh_s"] = time.monotonic() - t0
        out["owned"] = [int(o) for _f, o in states]
        # less what a worker spends to start with no account (imports, migrations check, jobs)
        start_cpu = sum(_cpu_s(w.proc.pid) for w in workers) - k * idle.start_cpu
        out["start_cpu_ms_per_account"] = start_cpu / n * 1000
        await asyncio.sleep(3)  # the debounced reads after each snapshot are done
        # the order settler's first pass (it reconciles every account at start, then every 5
        # minutes) is start-up work, not idle: the window opens once it is done (a pass is counted
        # as it starts: the second has started once the first is done)
        t_passes = time.monotonic()
        while sum(w.job_runs("perpdesk-intent-settler") for w in workers) < 2:
            if time.monotonic() - t_passes > 900:
                raise RuntimeError("the order settler's first pass did not end")
            await asyncio.sleep(1.0)
        out["startup_pass_s"] = time.monotonic() - t_passes
        # a quiet account's reconciliations space out (60, 120, 240, then every 300 s): --settle
        # 420 measures that steady state, 0 the first minutes (each account reconciled once)
        await asyncio.sleep(settle_s)

        # idle: no price moves; each mirror reconciles once in a 65 s window
        listener = Listener(pg_dsn)
        await listener.start()
        pids = [w.proc.pid for w in workers]
        cpu0 = [_cpu_s(p) for p in pids]
        idle_cpu0, db0, n0 = _cpu_s(idle.proc.pid), await db_counters(pg_dsn, db), listener.notifies
        w0 = time.monotonic()
        print(f"idle window: {window_s:.0f} s from now, workers {pids}", flush=True)
        spies = ([_spy(p, window_s, profile / f"idle-{k}-{i}.txt") for i, p in enumerate(pids)]
                 + [_spy(idle.proc.pid, window_s, profile / f"idle-{k}-empty.txt")]) if profile else []
        await asyncio.sleep(window_s)
        wall = time.monotonic() - w0
        for spy in spies:
            spy.wait()
        per_min = 60 / wall / n
        idle_cpu = _cpu_s(idle.proc.pid) - idle_cpu0
        worker_cpu = sum(_cpu_s(p) - c for p, c in zip(pids, cpu0, strict=True))
        db1 = await db_counters(pg_dsn, db)
        rss = sum(_rss(p) for p in pids)
        out["idle"] = {
            "rss_kib_per_account": (rss - k * _rss(idle.proc.pid)) / n / 1024,
            "cpu_ms_per_account_min": (worker_cpu - k * idle_cpu) * per_min * 1000,
            "db_xacts_per_account_min": (db1["xacts"] - db0["xacts"]) * per_min,
            "db_rows_read_per_account_min": (db1["tup_returned"] - db0["tup_returned"]) * per_min,
            "notifies_per_account_min": (listener.notifies - n0) * per_min,
        }

        # events: a new price, until every holding account's view with it crossed NOTIFY
        rounds = []
        for i in range(3):
            listener.want, listener.seen = Decimal(3001 + i), set()
            cpu0 = [_cpu_s(p) for p in pids]
            t1 = time.perf_counter()
            admin.set_price(SYM, str(3001 + i))
            limit = time.monotonic() + 120
            while len(listener.seen) < holding:
                if any(w.proc.poll() is not None for w in workers):
                    raise RuntimeError(f"a worker exited: {[w.proc.returncode for w in workers]}")
                if time.monotonic() > limit:
                    raise RuntimeError(f"{len(listener.seen)} of {holding} views with the new mark")
                await asyncio.sleep(0.01)
            took = listener.last_at - t1
            rounds.append((holding / took, sum(_cpu_s(p) - c for p, c in zip(pids, cpu0, strict=True))))
            await asyncio.sleep(2)
        out["events_per_s"] = statistics.median(r[0] for r in rounds)
        out["event_cpu_ms"] = statistics.median(r[1] for r in rounds) / holding * 1000
        out["view_bytes"] = len(listener.sample)
        out["floor_notify_per_s"] = await notify_floor(pg_dsn, listener, max(holding, 2000))
        await listener.aclose()
    finally:
        for w in workers:
            w.stop()
    return out


# ---- the floor: the connector's streams alone ---------------------------------------------------
def _floor_proc(base_url: str, ws_url: str, keys: list[tuple[str, str, str]], window_s: float,
                q: Any) -> None:
    async def main() -> dict[str, float]:
        from perpdesk.core.models import Credentials
        from perpdesk.exchanges.bitmart import BitmartFuturesConnector

        user_ws = ws_url + "/user?protocol=1.1"
        conns = [BitmartFuturesConnector(base_url, ws_url=user_ws, source_address=s)
                 for s in addresses("127.0.8", len(keys))]
        await conns[0].instruments()
        for c in conns[1:]:
            c.markets = conns[0].markets
        rss0, cpu0, t0 = _rss(os.getpid()), time.process_time(), time.monotonic()
        opened = 0
        all_open = asyncio.Event()

        async def hold(i: int, creds: Credentials) -> None:
            nonlocal opened
            async for ev in conns[i % len(conns)].stream(creds):
                if ev.kind == "resync":
                    opened += 1
                    if opened == len(keys):
                        all_open.set()

        tasks = [asyncio.create_task(hold(i, Credentials(*k))) for i, k in enumerate(keys)]
        await asyncio.wait_for(all_open.wait(), max(300.0, len(keys) * 0.1))
        open_s, open_cpu = time.monotonic() - t0, time.process_time() - cpu0
        await asyncio.sleep(3)
        rss1, cpu1, w0 = _rss(os.getpid()), time.process_time(), time.monotonic()
        await asyncio.sleep(window_s)
        wall = time.monotonic() - w0
        for t in tasks:
            t.cancel()
        n = len(keys)
        return {"open_s": open_s, "open_cpu_ms_per_account": open_cpu / n * 1000,
                "rss_kib_per_account": (rss1 - rss0) / n / 1024,
                "cpu_ms_per_account_min": (time.process_time() - cpu1) / n * (60 / wall) * 1000}

    q.put(asyncio.run(main()))


def floor(sandbox: Any, accounts: list[dict[str, Any]], window_s: float) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    q: Any = ctx.Queue()
    keys = [(a["api_key"], a["secret_key"], a["memo"]) for a in accounts]
    p = ctx.Process(target=_floor_proc, args=(sandbox.base_url, sandbox.ws_url, keys, window_s, q))
    p.start()
    try:
        result: dict[str, float] = q.get(timeout=1800)
        return result
    finally:
        p.join(30)
        if p.is_alive():
            p.kill()


# ---- main ---------------------------------------------------------------------------------------
async def bench(args: argparse.Namespace) -> dict[str, Any]:
    import asyncpg

    from tests.fixtures.sandbox import start_sandbox

    pg_url = os.environ.get("PERPDESK_TEST_PG_URL")
    if not pg_url:
        raise SystemExit("PERPDESK_TEST_PG_URL is not set: scripts/bench.sh, or scripts/pg.sh's pg_start")
    n = args.accounts
    holding = max(1, int(n * args.holding))
    tmp = Path(tempfile.mkdtemp(prefix="bench-mirrors-"))
    server = dsn(pg_url)
    db, empty_db = f"bench_mirrors_{os.getpid()}", f"bench_empty_{os.getpid()}"
    admin_conn = await asyncpg.connect(server)
    for name in (db, empty_db):
        await admin_conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_url.rsplit("/", 1)[0]
    sandbox = start_sandbox(extra_args=["--rate-limit-factor", "0"])
    result: dict[str, Any] = {"accounts": n, "holding": holding}
    idle = None
    try:
        t0 = time.monotonic()
        accounts = await asyncio.to_thread(make_accounts, sandbox, n, holding)
        result["sandbox_accounts_s"] = time.monotonic() - t0
        env = platform_env(f"{base}/{db}", tmp / "data", sandbox)
        (tmp / "data").mkdir()
        result["store_s"] = await store_accounts(env, accounts)
        empty_env = platform_env(f"{base}/{empty_db}", tmp / "data", sandbox)
        from perpdesk.bootstrap import migrate

        await migrate(empty_env["PERPDESK_DATABASE_URL"])
        idle = Worker(empty_env, ["127.0.9.1"], tmp / "worker-empty.log")  # the per-process floor
        while idle.mirrors() == (0.0, 0.0) and not idle.answers():
            await asyncio.sleep(0.2)
        await asyncio.sleep(5)  # its first job passes
        idle.start_cpu = _cpu_s(idle.proc.pid)
        for k in args.workers:
            print(f"-- {k} worker(s)", flush=True)
            result[f"workers_{k}"] = await run_workers(k, n, holding, env, db, dsn(f"{base}/{db}"),
                                                       sandbox, idle, args.window, tmp, args.profile,
                                                       args.settle)
            print(json.dumps(result[f"workers_{k}"]), flush=True)
        print("-- floor: the connector's streams alone", flush=True)
        result["floor"] = await asyncio.to_thread(floor, sandbox, accounts, args.window)
        assert sandbox.process is not None
        result["sandbox_cpu_s"] = _cpu_s(sandbox.process.pid)
    finally:
        if idle is not None:
            idle.stop()
        sandbox.stop()
        for name in (db, empty_db):
            await admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin_conn.close()
    return result


def report(r: dict[str, Any]) -> None:
    n, f = r["accounts"], r["floor"]
    print(f"\n{n} accounts ({r['holding']} holding {SYM}); sandbox accounts made in "
          f"{r['sandbox_accounts_s']:.1f} s, stored (sealed) in {r['store_s']:.1f} s")
    print(f"{'':>22} {'all fresh':>10} {'CPU/acct':>9} {'KiB/acct':>9} {'idle CPU':>9} "
          f"{'DB xact':>8} {'rows rd':>8} {'NOTIFY':>7} {'events/s':>9}")
    print(f"{'':>22} {'s':>10} {'ms start':>9} {'RSS':>9} {'ms/min':>9} {'/acct/min':>8} "
          f"{'/acct/min':>8} {'/acct/min':>7} {'':>9}")
    for key in sorted(k for k in r if k.startswith("workers_")):
        w = r[key]
        i = w["idle"]
        print(f"{w['workers']} worker(s) {w['owned']!s:>11} {w['fresh_s']:10.1f} "
              f"{w['start_cpu_ms_per_account']:9.2f} {i['rss_kib_per_account']:9.1f} "
              f"{i['cpu_ms_per_account_min']:9.2f} {i['db_xacts_per_account_min']:8.2f} "
              f"{i['db_rows_read_per_account_min']:8.1f} {i['notifies_per_account_min']:7.2f} "
              f"{w['events_per_s']:9.0f}")
    print(f"{'floor (streams alone)':>22} {f['open_s']:10.1f} {f['open_cpu_ms_per_account']:9.2f} "
          f"{f['rss_kib_per_account']:9.1f} {f['cpu_ms_per_account_min']:9.2f}")
    for key in sorted(k for k in r if k.startswith("workers_")):
        w = r[key]
        print(f"{w['workers']} worker(s): events {w['events_per_s']:.0f}/s beside NOTIFY alone "
              f"{w['floor_notify_per_s']:.0f}/s ({w['view_bytes']} B views); "
              f"{w['event_cpu_ms']:.2f} ms worker CPU per event; the settler's start-up pass ended "
              f"{w.get('startup_pass_s', 0):.0f} s after all were fresh")
    if "workers_1" in r and "workers_2" in r:
        one, two = r["workers_1"], r["workers_2"]
        print(f"2 workers / 1: all fresh x{one['fresh_s'] / two['fresh_s']:.2f} faster, "
              f"events x{two['events_per_s'] / one['events_per_s']:.2f}; "
              f"start CPU per account x"
              f"{two['start_cpu_ms_per_account'] / one['start_cpu_ms_per_account']:.2f}")
    print(f"sandbox CPU over the whole run: {r['sandbox_cpu_s']:.0f} s (it shares the cores)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=10_000)
    ap.add_argument("--holding", type=float, default=0.2, help="share of accounts holding a position")
    ap.add_argument("--window", type=float, default=65.0,
                    help="idle seconds measured (> 60: one reconciliation each)")
    ap.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    ap.add_argument("--settle", type=float, default=0.0,
                    help="seconds between the start-up pass and the idle window (420: quiet accounts "
                         "at their steady reconciliation pace)")
    ap.add_argument("--profile", type=Path, default=None,
                    help="py-spy the workers in the idle window: collapsed stacks in this directory")
    args = ap.parse_args()
    result = asyncio.run(bench(args))
    report(result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
