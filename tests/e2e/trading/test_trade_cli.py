"""`perpdesk trade ...` as a real subprocess on the test platform's database, against the sandbox:
place, TP/SL set and changed, plan and trailing orders, orders (table and JSON), cancel-all,
close by percent, fills, the position-mode refusal and a bad ticket's message."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

SOL = "SOLUSDT"


def cli(platform: PlatformServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**platform.env, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "perpdesk", "trade", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_trade_cli_end_to_end(
    trading_platform: PlatformServer, make_api_user: Any, frozen: SandboxServer
) -> None:
    user = await make_api_user()
    account_id, _ = await user.connect(frozen)
    who = ("--user", user.email, "--account", account_id, "--symbol", SOL)

    def ok(*args: str) -> str:
        done = cli(trading_platform, *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    placed = json.loads(ok("place", *who, "--side", "buy", "--size", "10", "--leverage", "5", "--json"))
    assert placed["status"] == "placed" and placed["order_id"]

    assert "Take-profit / stop-loss set" in ok("tp-sl", *who, "--side", "long", "--stop-loss", "170")
    (sl,) = json.loads(ok("orders", *who, "--json"))["conditional_orders"]
    assert sl["kind"] == "stop_loss" and sl["trigger_price"] == "170"
    assert "now triggers at 171.5" in ok(
        "tp-sl", *who, "--order-id", sl["order_id"], "--trigger-price", "171.5"
    )
    ok("plan", *who, "--side", "buy", "--size", "2", "--trigger-price", "190", "--leverage", "5")
    ok(
        "trail",
        *who,
        "--side",
        "sell_close_long",
        "--size",
        "10",
        "--activation-price",
        "185",
        "--callback-rate",
        "1",
        "--leverage",
        "5",
    )

    listed = json.loads(ok("orders", "--user", user.email, "--account", account_id, "--json"))
    kinds = {o["kind"]: o for o in listed["conditional_orders"]}
    assert set(kinds) == {"stop_loss", "plan", "trailing"}
    assert kinds["stop_loss"]["trigger_price"] == "171.5"
    table = ok("orders", *who)
    assert "Trigger, TP/SL and trailing orders" in table and sl["order_id"] in table

    refused = cli(
        trading_platform, "position-mode", "--user", user.email, "--account", account_id, "--set", "one_way"
    )
    assert refused.returncode == 1
    assert "only when the account has no open position" in refused.stderr
    assert "next step: Close the positions and cancel the orders" in refused.stderr

    assert "and 2 trigger/trailing order(s)" in ok("cancel-all", *who)
    left = json.loads(ok("orders", *who, "--json"))["conditional_orders"]
    assert [o["kind"] for o in left] == ["stop_loss"]  # the position's TP/SL stays

    half = json.loads(ok("close", *who, "--side", "long", "--percent", "50", "--price", "179", "--json"))
    assert half["status"] == "placed" and half["size"] == "5" and half["price"] == "179"
    rest = json.loads(ok("close", *who, "--side", "long", "--json"))
    assert rest["status"] == "placed" and rest["type"] == "market"
    found = json.loads(ok("fills", *who, "--json"))["fills"]
    assert sorted(f["size"] for f in found) == ["10", "5", "5"]
    assert "Fills" in ok("fills", *who)

    bad = cli(trading_platform, "place", *who, "--side", "buy", "--size", "0")
    assert bad.returncode == 1 and "size" in bad.stderr and "greater than zero" in bad.stderr
