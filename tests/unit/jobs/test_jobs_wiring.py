"""Which jobs machinery a process gets: on SQLite (`perpdesk serve`) every pass runs ungated and
jobs run in process; on PostgreSQL every installation-wide pass is gated by its advisory lock
(the live supervisor is not: each worker runs its own) and jobs go through PgQueuer."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from perpdesk.bootstrap import Services, bootstrap
from perpdesk.jobs.pg_queue import PgJobQueue
from perpdesk.jobs.queue import InProcessQueue
from perpdesk.jobs.singleton import PgPassLeases
from perpdesk.services.users.passwords_change import RESET_MAIL_JOB
from perpdesk.services.webhooks import DELIVER_JOB
from perpdesk.settings import Settings


def services(tmp_path: Path, **kw: Any) -> Services:
    return bootstrap(Settings(data_dir=tmp_path, master_key=base64.b64encode(bytes(32)).decode(),
                              live_enabled=False, **kw))


async def test_one_process_on_sqlite_runs_every_pass_and_its_jobs_itself(tmp_path: Path) -> None:
    s = services(tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        assert s.pass_leases is None and isinstance(s.jobs, InProcessQueue)
        assert all(task.gate is None for task in s.periodic_passes())
        assert {RESET_MAIL_JOB, DELIVER_JOB} <= set(s.jobs._handlers)
        assert s.accounts.on_webhook_queued is not None
    finally:
        await s.aclose()


async def test_on_postgresql_each_installation_wide_pass_is_gated(tmp_path: Path) -> None:
    s = services(tmp_path, database_url="postgresql+asyncpg://u@127.0.0.1:1/perpdesk")  # nothing opened
    try:
        assert isinstance(s.pass_leases, PgPassLeases) and isinstance(s.jobs, PgJobQueue)
        names = {task.name for task in s.periodic_passes()}
        assert names == {"perpdesk-whitelist-watch", "perpdesk-intent-settler", "perpdesk-equity-snapshots",
                         "perpdesk-notification-watch", "perpdesk-webhooks"}
        assert all(task.gate is s.pass_leases for task in s.periodic_passes())
        assert {RESET_MAIL_JOB, DELIVER_JOB} <= set(s.jobs._handlers)
    finally:
        await s.aclose()
