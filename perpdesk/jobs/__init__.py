"""Background jobs across processes (docs/deploy.md "Jobs").

- `singleton.PgPassLeases`: each periodic pass (settle and reconcile, whitelist re-checks, webhook
  deliveries, equity snapshots, notification checks) runs in one process of the installation at
  a time: the one holding the pass's PostgreSQL advisory lock. `perpdesk serve` on SQLite has no
  gate: its one process runs every pass, as before.
- `queue.JobQueue`: jobs enqueued by events, each with a key (one queued job per key), retried
  with backoff and counted in /metrics. `InProcessQueue` for one process, `pg_queue.PgJobQueue`
  (PgQueuer, chosen by bench/bench_jobs.py) when processes share PostgreSQL.
"""
