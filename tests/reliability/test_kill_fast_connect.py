"""Suite 2, Fast Connect: the platform process is killed (SIGKILL) after the exchange issued the
key and perpdesk sealed it on the grant, before the account was stored. Recovery revokes that key
at the exchange and nothing is half-stored."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from perpdesk.services import accounts, fast_connect
from perpdesk.store.accounts import FastConnectGrant
from perpdesk.store.base import utcnow
from perpdesk.store.repos import UserRepo
from tests.fixtures.procs import spawn_logged, stop_process
from tests.fixtures.sandbox import SandboxServer
from tests.integration.accounts.test_fast_connect import consent
from tests.reliability.fast_connect_deps import REDIRECT, deps_from_env

INSPECTED_FIRST = "/contract/private/assets-detail"  # the key inspection's first call


async def test_key_obtained_but_not_stored_when_killed_is_revoked(
    reliability_sandbox: SandboxServer, browser: Any, db_url: str, tmp_path: Path
) -> None:
    sandbox = reliability_sandbox
    oauth = sandbox.admin.create_oauth_client("perpdesk-kill", [REDIRECT], ["127.0.0.1"])
    env = {
        **os.environ,
        "FC_DB_URL": db_url,
        "FC_SANDBOX_URL": sandbox.base_url,
        "FC_CLIENT_ID": oauth["client_id"],
        "FC_CLIENT_SECRET": oauth["client_secret"],
        "FC_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "FC_HASH_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    deps, close = deps_from_env(env)
    try:
        async with deps.sessions() as s, s.begin():
            uid = (await UserRepo(s).create(f"fc-{secrets.token_hex(4)}@example.com", "x")).id
        bm = sandbox.admin.create_user()
        session = "k" * 64
        started = await fast_connect.start(deps, user_id=uid, session_hash=session)
        answer = await consent(browser, started.authorize_url, bm)
        sandbox.admin.fault("latency", INSPECTED_FIRST, latency_ms=20_000, times=1)
        child_env = {**env, "FC_SESSION": session, "FC_STATE": answer["state"], "FC_CODE": answer["code"]}
        child = spawn_logged(
            [sys.executable, "-m", "tests.reliability.fast_connect_child"], tmp_path / "child.log", child_env
        )
        try:
            for _ in range(300):  # until the key is obtained and sealed on the grant
                async with deps.sessions() as s:
                    sealed = await s.scalar(select(FastConnectGrant.sealed_issued_key))
                if sealed is not None:
                    break
                await asyncio.sleep(0.05)
            assert sealed is not None, (tmp_path / "child.log").read_text()
            child.kill()  # SIGKILL: nothing runs after this
            child.wait(10)
        finally:
            stop_process(child)
            sandbox.admin.clear_faults(INSPECTED_FIRST)
        assert len(sandbox.admin.user(bm["email"])["keys"]) == 1  # the orphan key exists at the exchange
        assert await accounts.list_accounts(deps, uid) == []  # and no half-stored account

        # the restarted platform's recovery: once no live callback can still be storing it
        assert await fast_connect.recover(deps) == 0
        async with deps.sessions() as s, s.begin():
            late = utcnow() - fast_connect.REDEEM_GRACE - timedelta(seconds=1)
            await s.execute(update(FastConnectGrant).values(expires_at=late))
        assert await fast_connect.recover(deps) == 1
        assert sandbox.admin.user(bm["email"])["keys"] == []  # revoked at the exchange
        assert await accounts.list_accounts(deps, uid) == []
        assert await fast_connect.recover(deps) == 0
    finally:
        await close()
