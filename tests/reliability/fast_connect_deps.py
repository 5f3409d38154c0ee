"""AccountsDeps with Fast Connect, built the same way in the test and in its child process (same
database, vault key and key-hash secret, passed as environment variables)."""

from __future__ import annotations

import base64
import os
from collections.abc import Awaitable, Callable, Mapping

from perpdesk.exchanges.bitmart.connector import BitmartFuturesConnector
from perpdesk.exchanges.bitmart.fast_connect import BitmartFastConnect
from perpdesk.exchanges.registry import Venue
from perpdesk.services.deps import AccountsDeps, KeyHasher
from perpdesk.store.db import make_engine, make_sessionmaker
from perpdesk.vault import EnvMasterKey, Vault

REDIRECT = "http://127.0.0.1:9/settings/exchange-accounts/fast-connect/callback"


def deps_from_env(
    env: Mapping[str, str] = os.environ,
) -> tuple[AccountsDeps, Callable[[], Awaitable[None]]]:
    engine = make_engine(env["FC_DB_URL"])
    base = env["FC_SANDBOX_URL"]
    connector = BitmartFuturesConnector(base)
    provider = BitmartFastConnect(
        base + "/oauth/authorize",
        base + "/oauth/token",
        base + "/oauth/revoke",
        env["FC_CLIENT_ID"],
        env["FC_CLIENT_SECRET"],
    )
    deps = AccountsDeps(
        sessions=make_sessionmaker(engine),
        vault=Vault(EnvMasterKey(env["FC_MASTER_KEY"])),
        hasher=KeyHasher(base64.b64decode(env["FC_HASH_KEY"])),
        egress_ips=("127.0.0.1",),
        connector_for=lambda _ex: connector,
        fast_connect_for=lambda _ex: provider,
        venue_for=lambda ex: Venue(ex, base),
        redirect_uri=REDIRECT,
    )

    async def close() -> None:
        await connector.aclose()
        await engine.dispose()

    return deps, close
