"""Operators: admin options anywhere on the command line or from the environment; a price freeze
survives a restart."""

from __future__ import annotations

import json
import secrets

from typer.testing import CliRunner

from perpdesk.cli import app as cli_app
from tests.fixtures.sandbox import SandboxServer, start_sandbox


def test_url_and_token_are_accepted_after_the_command(sandbox: SandboxServer) -> None:
    runner = CliRunner()
    after = [
        "sandbox",
        "admin",
        "set-price",
        "--symbol",
        "SOLUSDT",
        "--price",
        "151",
        "--json",
        "--url",
        sandbox.base_url,
        "--token",
        sandbox.admin_token,
    ]
    r = runner.invoke(cli_app, after, env={"PERPDESK_SANDBOX_ADMIN_TOKEN": "", "PERPDESK_SANDBOX_URL": ""})
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"symbol": "SOLUSDT", "price": "151"}
    split = [
        "sandbox",
        "admin",
        "--url",
        sandbox.base_url,
        "market",
        "--json",
        "--token",
        sandbox.admin_token,
    ]
    r = runner.invoke(cli_app, split, env={"PERPDESK_SANDBOX_ADMIN_TOKEN": ""})
    assert r.exit_code == 0 and json.loads(r.stdout)["marks"]["SOLUSDT"] == "151"
    # the token from the environment, the URL after the command
    r = runner.invoke(
        cli_app,
        ["sandbox", "admin", "market", "--url", sandbox.base_url],
        env={"PERPDESK_SANDBOX_ADMIN_TOKEN": sandbox.admin_token},
    )
    assert r.exit_code == 0 and "price_walk" in r.stdout
    r = runner.invoke(
        cli_app,
        ["sandbox", "admin", "market", "--url", sandbox.base_url],
        env={"PERPDESK_SANDBOX_ADMIN_TOKEN": ""},
    )
    assert r.exit_code == 2 and "no admin token" in r.output


def test_cli_creates_sub_accounts_and_settles_funding(sandbox: SandboxServer) -> None:
    main = sandbox.admin.create_user()
    sub_email = f"sub-{secrets.token_hex(4)}@example.com"
    env = {"PERPDESK_SANDBOX_ADMIN_TOKEN": sandbox.admin_token, "PERPDESK_SANDBOX_URL": sandbox.base_url}
    r = CliRunner().invoke(
        cli_app,
        [
            "sandbox",
            "admin",
            "create-sub-account",
            "--email",
            main["email"],
            "--sub-email",
            sub_email,
            "--password",
            "a-long-password",
            "--json",
        ],
        env=env,
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["parent_uid"] == main["uid"]
    r = CliRunner().invoke(cli_app, ["sandbox", "admin", "settle-funding", "--symbol", "ETHUSDT"], env=env)
    assert r.exit_code == 0 and "ETHUSDT" in r.stdout


def test_price_freeze_survives_a_restart(tmp_path: object) -> None:
    state = f"{tmp_path}/freeze.sqlite"
    server = start_sandbox(state)
    try:
        assert server.admin.freeze_prices(True)["price_walk"] is False
    finally:
        server.stop()
    again = start_sandbox(state)
    try:
        assert again.admin.market()["price_walk"] is False
        again.admin.freeze_prices(False)
    finally:
        again.stop()
    third = start_sandbox(state)
    try:
        assert third.admin.market()["price_walk"] is True
    finally:
        third.stop()
