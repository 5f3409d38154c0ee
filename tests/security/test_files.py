"""What perpdesk writes is readable by its own account only: the data directory 0700; the
databases with their -wal/-shm files, keys and the session secret 0600 (the platform's and the
sandbox's), whatever umask the process was started with."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
from sqlalchemy import text

from perpdesk.store.db import make_engine
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _sqlite_family(db: Path) -> list[Path]:
    return [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]


async def test_the_platform_engine_creates_private_sqlite_files(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a permissive umask: the engine must not rely on the caller's
    try:
        db = tmp_path / "data" / "perpdesk.sqlite3"
        engine = make_engine(f"sqlite+aiosqlite:///{db}")
        async with engine.begin() as conn:
            await conn.execute(text("create table t (x int)"))
            await conn.execute(text("insert into t values (1)"))
        family = _sqlite_family(db)
        assert len(family) == 3  # the database, its WAL and shared-memory files
        assert {p.name: _mode(p) for p in family} == {p.name: 0o600 for p in family}
        assert _mode(db.parent) == 0o700
        await engine.dispose()
    finally:
        os.umask(old)


async def test_existing_files_are_made_private_on_open(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    for p in (db, Path(f"{db}-wal")):
        p.touch()
        os.chmod(p, 0o644)  # as an older perpdesk left them
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    await engine.dispose()
    assert _mode(db) == 0o600 and _mode(Path(f"{db}-wal")) == 0o600


async def test_a_running_platform_and_sandbox_keep_their_files_private(
    platform: PlatformServer, sandbox: SandboxServer
) -> None:
    async with httpx.AsyncClient(base_url=platform.url) as c:  # some writes first
        c.headers["X-CSRF-Token"] = (await c.get("/api/auth/csrf")).json()["csrf_token"]
        r = await c.post(
            "/api/auth/signup", json={"email": "files@example.com", "password": "tin-roof-violet-88"}
        )
        assert r.status_code in (201, 409)
    db = Path(platform.database_url.removeprefix("sqlite+aiosqlite:///"))
    private = [*_sqlite_family(db), platform.data_dir / "session_secret", platform.master_key_file]
    private += _sqlite_family(Path(sandbox.state_path))
    assert len(private) >= 6
    assert {str(p): _mode(p) for p in private} == {str(p): 0o600 for p in private}
