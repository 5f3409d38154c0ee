#!/usr/bin/env bash
# Runs the benchmarks in bench/; each prints its figures and its ratio to a floor measured in the same run.
source "$(dirname "$0")/_env.sh"
echo "== bench/bench_connector.py (asyncio)"; python bench/bench_connector.py
echo "== bench/bench_connector.py (uvloop, as the platform runs)"; python bench/bench_connector.py --uvloop
echo "== bench/bench_connector_binance.py (uvloop; ccxt beside it when importable)"; python bench/bench_connector_binance.py --uvloop
echo "== bench/bench_sandbox.py"; python bench/bench_sandbox.py
echo "== bench/bench_sandbox_orders.py"; python bench/bench_sandbox_orders.py
echo "== bench/bench_sandbox_binance.py"; python bench/bench_sandbox_binance.py
echo "== bench/bench_sandbox_idle.py"; python bench/bench_sandbox_idle.py
echo "== bench/bench_startup.py"; python bench/bench_startup.py
echo "== bench/bench_ws_fanout.py"; python bench/bench_ws_fanout.py
echo "== bench/bench_live.py"; python bench/bench_live.py
echo "== bench/bench_bus.py (PostgreSQL NOTIFY, Redis pub/sub and Streams, NATS, against the in-process bus)"
( source "$(dirname "$0")/pg.sh" && source "$(dirname "$0")/redis.sh" && trap 'pg_stop; redis_stop; nats_stop' EXIT \
  && pg_start >/dev/null && { redis_start >/dev/null || echo "Redis skipped: no redis-server"; } \
  && { nats_start >/dev/null || echo "NATS skipped: no nats-server"; } \
  && python bench/bench_bus.py )
echo "== bench/bench_mirrors.py --accounts 500 (1 then 2 workers; docs/deploy.md has the 10,000 run)"
( source "$(dirname "$0")/pg.sh" && pg_start >/dev/null && trap pg_stop EXIT && python bench/bench_mirrors.py --accounts 500 )
echo "== bench/bench_jobs.py (PgQueuer, Procrastinate and a bare SKIP LOCKED floor)"
( source "$(dirname "$0")/pg.sh" && pg_start >/dev/null && trap pg_stop EXIT && python -W ignore bench/bench_jobs.py )
