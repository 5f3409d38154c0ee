"""`perpdesk accounts list|connect|edit|disconnect|check` against the real sandbox and a SQLite DB."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from perpdesk.cli.accounts import app
from perpdesk.store.db import migrate


@pytest.fixture
def cli_env(tmp_path: Path, sandbox: Any) -> dict[str, str]:
    env = {
        "PERPDESK_DATA_DIR": str(tmp_path),
        "PERPDESK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite3'}",
        "PERPDESK_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "PERPDESK_BITMART_API_URL": sandbox.base_url,
        "PERPDESK_EGRESS_IPS": "127.0.0.1",
    }

    async def make_user() -> None:
        from perpdesk.store.db import make_engine, make_sessionmaker
        from perpdesk.store.repos import UserRepo

        await migrate(env["PERPDESK_DATABASE_URL"])
        engine = make_engine(env["PERPDESK_DATABASE_URL"])
        async with make_sessionmaker(engine)() as s, s.begin():
            await UserRepo(s).create("cli@example.com", "x")
        await engine.dispose()

    asyncio.run(make_user())
    return env


def run(env: dict[str, str], *args: str, secret: str = "", passphrase: str = "") -> Any:
    extra = {"PERPDESK_API_SECRET": secret, "PERPDESK_API_PASSPHRASE": passphrase} if secret else {}
    return CliRunner().invoke(app, list(args), env={**env, **extra}, catch_exceptions=False)


def test_cli_connect_list_edit_check_disconnect(cli_env: dict[str, str], sandbox: Any) -> None:
    user = sandbox.admin.create_user()
    key = sandbox.admin.create_key(user["email"], memo="cli-memo")
    u = ("--user", "cli@example.com")

    bad = run(cli_env, "connect", *u, "--api-key", key["api_key"], secret="0" * 64, passphrase="cli-memo")
    assert bad.exit_code == 1 and "The Secret or the Passphrase is wrong" in bad.output
    assert "0" * 64 not in bad.output

    only = run(
        cli_env,
        "connect",
        *u,
        "--api-key",
        key["api_key"],
        "--check-only",
        secret=key["secret_key"],
        passphrase="cli-memo",
    )
    assert only.exit_code == 0, only.output
    assert "USDT: equity 10000" in only.output and "nothing was stored" in only.output
    assert json.loads(run(cli_env, "list", *u, "--json").output)["accounts"] == []

    ok = run(
        cli_env,
        "connect",
        *u,
        "--api-key",
        key["api_key"],
        "--label",
        "From CLI",
        "--json",
        secret=key["secret_key"],
        passphrase="cli-memo",
    )
    assert ok.exit_code == 0, ok.output
    account = json.loads(ok.output)["account"]
    assert account["label"] == "From CLI" and account["status"] == "active"
    assert key["secret_key"] not in ok.output and "cli-memo" not in ok.output

    listed = run(cli_env, "list", *u)
    assert "From CLI" in listed.output and "Active" in listed.output

    renamed = run(cli_env, "edit", account["id"], *u, "--label", "Renamed", "--json")
    assert json.loads(renamed.output)["label"] == "Renamed"

    checked = run(cli_env, "check", account["id"], *u)
    assert checked.exit_code == 0 and "Active" in checked.output

    nobody = run(cli_env, "list", "--user", "nobody@example.com")
    assert nobody.exit_code == 2 and "no perpdesk user" in nobody.output

    gone = run(cli_env, "disconnect", account["id"], *u, "--yes")
    assert gone.exit_code == 0 and "Disconnected" in gone.output
    assert json.loads(run(cli_env, "list", *u, "--json").output)["accounts"] == []


def test_cli_entry_point_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "perpdesk", "accounts", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    for cmd in ("list", "connect", "edit", "disconnect", "check"):
        assert cmd in out.stdout


def test_cli_connects_a_binance_key_without_a_passphrase(
    cli_env: dict[str, str], binance_sandbox: Any
) -> None:
    env = {**cli_env, "PERPDESK_BINANCE_API_URL": binance_sandbox.url}
    client = binance_sandbox.client()
    u = ("--user", "cli@example.com")

    unknown = run(env, "connect", *u, "--api-key", client.api_key, "--exchange", "kraken",
                  secret=client.secret)  # fmt: skip
    assert unknown.exit_code == 2 and "bitmart" in unknown.output and "binance" in unknown.output

    # no passphrase given, none asked: a Binance key has none
    ok = run(env, "connect", *u, "--api-key", client.api_key, "--exchange", "binance", "--json",
             secret=client.secret)  # fmt: skip
    assert ok.exit_code == 0, ok.output
    account = json.loads(ok.output)["account"]
    assert (account["exchange"], account["label"], account["status"]) == (
        "binance", "Binance Futures", "active")  # fmt: skip
    assert client.secret not in ok.output
    listed = run(env, "list", *u)
    assert "Binance Futures" in listed.output and "Bitmart" not in listed.output

    other = binance_sandbox.key(client.email)
    replaced = run(env, "edit", account["id"], *u, "--api-key", other["api_key"], "--json",
                   secret=other["secret_key"])  # fmt: skip
    assert replaced.exit_code == 0, replaced.output
    assert json.loads(replaced.output)["api_key"].endswith(other["api_key"][-4:])
