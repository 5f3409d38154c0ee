"""`perpdesk portfolio` (summary, pnl, fills --csv/--json, equity, notifications) against the real
sandbox and a SQLite DB, through bootstrap's Services."""

from __future__ import annotations

import csv
import io
import json
import secrets
from decimal import Decimal
from typing import Any

from typer.testing import CliRunner

from perpdesk.cli import app
from tests.integration.accounts.test_cli import cli_env  # noqa: F401 - the fixture

ETH = "ETHUSDT"


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(app, ["portfolio", *args], env=env, catch_exceptions=False)


def test_portfolio_cli(cli_env: dict[str, str], sandbox: Any) -> None:  # noqa: F811
    u = ("--user", "cli@example.com")
    bm = sandbox.admin.create_user(futures_deposit={"USDT": "2000"})
    key = sandbox.admin.create_key(bm["email"], memo="m-" + secrets.token_hex(3))
    connect = CliRunner().invoke(
        app, ["accounts", "connect", *u, "--api-key", key["api_key"], "--label", "Cli", "--json"],
        env={**cli_env, "PERPDESK_API_SECRET": key["secret_key"], "PERPDESK_API_PASSPHRASE": key["memo"]},
    )
    assert connect.exit_code == 0, connect.output
    from perpdesk.core.models import Credentials
    from perpdesk.exchanges.bitmart import BitmartFuturesConnector, new_client_order_id

    sandbox.admin.set_price(ETH, "3500")

    async def trade() -> None:
        from perpdesk.core.models import OrderRequest, OrderSide, OrderType

        conn = BitmartFuturesConnector(sandbox.base_url)
        try:
            creds = Credentials(key["api_key"], key["secret_key"], key["memo"])
            for side in (OrderSide.BUY_OPEN_LONG, OrderSide.SELL_CLOSE_LONG):
                order = OrderRequest(ETH, side, Decimal(2), new_client_order_id(), type=OrderType.MARKET,
                                     leverage=Decimal(10))
                await conn.place_order(creds, order)
        finally:
            await conn.aclose()

    import asyncio

    asyncio.run(trade())

    summary = run(cli_env, *u, "--json")
    assert summary.exit_code == 0, summary.output
    data = json.loads(summary.output)
    assert data["accounts"][0]["account"]["label"] == "Cli" and Decimal(data["total"]["equity"]) < 2000
    table = run(cli_env, *u)
    assert "Portfolio (USDT)" in table.output and "Cli" in table.output and "Total" in table.output

    pnl = json.loads(run(cli_env, "pnl", *u, "--period", "month", "--json").output)
    fills = json.loads(run(cli_env, "fills", *u, "--json").output)["fills"]
    assert Decimal(pnl["rows"][0]["fees"]) == -sum(Decimal(f["fee"]) for f in fills)
    out = run(cli_env, "fills", *u, "--csv", "--side", "sell")
    (row,) = list(csv.DictReader(io.StringIO(out.output)))
    assert row["side"] == "sell_close_long" and row["account"] == "Cli" and row["size"] == "2"
    assert "Realised PnL" in run(cli_env, "pnl", *u).output

    bad = run(cli_env, "pnl", *u, "--start", "nope")
    assert bad.exit_code == 1 and "start" in bad.output and "YYYY-MM-DD" in bad.output
    assert json.loads(run(cli_env, "equity", *u, "--json").output) == {"points": []}
    assert json.loads(run(cli_env, "notifications", *u, "--json").output) == {"notifications": []}
