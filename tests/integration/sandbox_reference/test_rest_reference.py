"""BitMart's published Futures V2 REST reference as a test: every documented endpoint is called
on the running sandbox and its answer compared with the documented example, field by field and
type by type. Coverage (documented endpoints served / total) is printed and held at 100%."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_reference.client import RawClient
from tests.integration.sandbox_reference.reference_docs import RestEndpoint, rest_endpoints
from tests.integration.sandbox_reference.shapes import shape_problems

MARK = "95000"
# Fields the live exchange sent beside the documented ones (captured examples win; docs/sandbox.md).
LIVE_EXTRAS: dict[str, frozenset[str]] = {
    "/contract/private/position-v2": frozenset({"position_type"}),
}
# Lists the sandbox legitimately serves empty: nobody trades through an affiliate link here.
MAY_BE_EMPTY = {"/contract/private/affiliate/rebate-list", "/contract/private/affiliate/trade-list"}


@dataclass
class World:
    sandbox: SandboxServer
    main: RawClient  # hedge mode, a long BTCUSDT position, open orders of every kind
    oneway: RawClient  # one-way mode
    sub: RawClient  # a sub-account of main's user
    main_email: str
    sub_email: str
    public: RawClient

    def open_limit(self, client: RawClient | None = None, symbol: str = "BTCUSDT") -> dict[str, Any]:
        cid = "ref" + uuid.uuid4().hex[:20]
        data = (client or self.main).ok(
            "POST",
            "/contract/private/submit-order",
            {
                "symbol": symbol,
                "client_order_id": cid,
                "side": 1,
                "type": "limit",
                "price": "80000",
                "size": 1,
                "leverage": "10",
                "open_type": "cross",
            },
        )
        return {"order_id": str(data["order_id"]), "client_order_id": cid}

    def plan(self) -> str:
        data = self.main.ok(
            "POST",
            "/contract/private/submit-plan-order",
            {
                "symbol": "BTCUSDT",
                "side": 1,
                "type": "limit",
                "size": 1,
                "trigger_price": "90000",
                "executive_price": "89000",
                "price_way": 2,
                "price_type": 1,
                "leverage": "10",
                "open_type": "cross",
            },
        )
        return str(data["order_id"])

    def tp_sl(self) -> str:
        data = self.main.ok(
            "POST",
            "/contract/private/submit-tp-sl-order",
            {
                "symbol": "BTCUSDT",
                "type": "take_profit",
                "side": 3,
                "size": 1,
                "trigger_price": "120000",
                "executive_price": "120000",
                "price_type": 1,
                "plan_category": 1,
                "category": "limit",
            },
        )
        return str(data["order_id"])

    def trail(self) -> str:
        data = self.main.ok(
            "POST",
            "/contract/private/submit-trail-order",
            {
                "symbol": "BTCUSDT",
                "side": 4,
                "leverage": "10",
                "open_type": "cross",
                "size": 1,
                "activation_price": "99000",
                "callback_rate": "1",
                "activation_price_type": 1,
            },
        )
        return str(data["order_id"])


@pytest.fixture(scope="module")
def world(sandbox: SandboxServer) -> Iterator[World]:
    admin = sandbox.admin
    admin.freeze_prices(True)
    admin.replay_prices([], clear=True)  # prices another test queued must not play here
    admin.set_price("BTCUSDT", MARK)
    admin.set_price("ETHUSDT", "3500")
    admin.rate_limits(factor=0, reset=True)
    clients: list[RawClient] = []
    try:
        main_user = admin.create_user()
        sub_user = admin.create_sub_account(main_user["email"])
        oneway_user = admin.create_user()

        def client(email: str) -> RawClient:
            c = RawClient(sandbox.base_url, admin.create_key(email, memo="ref-memo"))
            clients.append(c)
            return c

        w = World(
            sandbox,
            client(main_user["email"]),
            client(oneway_user["email"]),
            client(sub_user["email"]),
            main_user["email"],
            sub_user["email"],
            RawClient(sandbox.base_url),
        )
        clients.append(w.public)
        w.oneway.ok("POST", "/contract/private/set-position-mode", {"position_mode": "one_way_mode"})
        for c in (w.main, w.oneway):
            c.ok(
                "POST",
                "/contract/private/submit-order",
                {
                    "symbol": "BTCUSDT",
                    "side": 1,
                    "type": "market",
                    "size": 3,
                    "leverage": "10",
                    "open_type": "cross",
                },
            )
        w.main.ok(
            "POST",
            "/contract/private/submit-order",
            {"symbol": "BTCUSDT", "side": 3, "type": "market", "size": 1, "open_type": "cross"},
        )
        w.open_limit()
        w.plan()
        w.tp_sl()
        w.trail()
        w.main.ok(
            "POST",
            "/account/v1/transfer-contract",
            {"currency": "USDT", "amount": "5", "type": "contract_to_spot"},
        )
        w.main.ok(
            "POST",
            "/account/contract/sub-account/main/v1/main-to-sub",
            {"requestNo": str(uuid.uuid4()), "amount": "10", "currency": "USDT", "subAccount": w.sub_email},
        )
        admin.settle_funding("BTCUSDT")
        admin.tick()
        yield w
    finally:
        for c in clients:  # the session's sandbox is shared: leave no order or position behind
            if c.key is not None:
                _clean_up(c)
            c.close()
        admin.rate_limits(factor=1, reset=True)
        admin.freeze_prices(False)


def _clean_up(c: RawClient) -> None:
    for symbol in ("BTCUSDT", "ETHUSDT"):
        c.call("POST", "/contract/private/cancel-orders", {"symbol": symbol})
        for plan in (
            c.call("GET", "/contract/private/current-plan-order", {"symbol": symbol})[1]["data"] or []
        ):
            c.call(
                "POST",
                "/contract/private/cancel-plan-order",
                {"symbol": symbol, "order_id": plan["order_id"]},
            )
        for order in c.call("GET", "/contract/private/get-open-orders", {"symbol": symbol})[1]["data"] or []:
            c.call(
                "POST",
                "/contract/private/cancel-trail-order",
                {"symbol": symbol, "order_id": order["order_id"]},
            )
        c.call("POST", "/contract/private/close-all-position", {"symbol": symbol})


def _now_s() -> int:
    return int(time.time())


# How to call each documented endpoint in the world above: (client name, params builder).
Recipe = Callable[[World], tuple[RawClient, dict[str, Any]]]
RECIPES: dict[str, Recipe] = {
    "/contract/public/details": lambda w: (w.public, {"symbol": "BTCUSDT"}),
    "/contract/public/depth": lambda w: (w.public, {"symbol": "BTCUSDT"}),
    "/contract/public/market-trade": lambda w: (w.public, {"symbol": "BTCUSDT", "limit": 10}),
    "/contract/public/open-interest": lambda w: (w.public, {"symbol": "BTCUSDT"}),
    "/contract/public/funding-rate": lambda w: (w.public, {"symbol": "BTCUSDT"}),
    "/contract/public/kline": lambda w: (
        w.public,
        {"symbol": "BTCUSDT", "step": 1, "start_time": _now_s() - 3600, "end_time": _now_s()},
    ),
    "/contract/public/markprice-kline": lambda w: (
        w.public,
        {"symbol": "BTCUSDT", "step": 1, "start_time": _now_s() - 3600, "end_time": _now_s()},
    ),
    "/contract/public/funding-rate-history": lambda w: (w.public, {"symbol": "BTCUSDT", "limit": 10}),
    "/contract/public/leverage-bracket": lambda w: (w.public, {"symbol": "BTCUSDT"}),
    "/contract/private/assets-detail": lambda w: (w.main, {}),
    "/contract/private/trade-fee-rate": lambda w: (w.main, {"symbol": "BTCUSDT"}),
    "/contract/private/order": lambda w: (w.main, {"symbol": "BTCUSDT", **_just_id(w.open_limit())}),
    "/contract/private/order-history": lambda w: (w.main, {"symbol": "BTCUSDT"}),
    "/contract/private/get-open-orders": lambda w: (w.main, {"symbol": "BTCUSDT"}),
    "/contract/private/current-plan-order": lambda w: (w.main, {"symbol": "BTCUSDT"}),
    "/contract/private/position": lambda w: (w.main, {"symbol": "BTCUSDT"}),
    "/contract/private/position-v2": lambda w: (w.oneway, {"symbol": "BTCUSDT"}),
    "/contract/private/position-risk": lambda w: (w.main, {"symbol": "BTCUSDT"}),
    "/contract/private/trades": lambda w: (w.main, {"symbol": "BTCUSDT"}),
    "/contract/private/transaction-history": lambda w: (w.main, {"symbol": "BTCUSDT"}),
    "/account/v1/transfer-contract-list": lambda w: (w.main, {"page": 1, "limit": 10, "recvWindow": 5000}),
    "/contract/private/submit-order": lambda w: (
        w.main,
        {
            "symbol": "BTCUSDT",
            "side": 1,
            "type": "limit",
            "price": "80000",
            "size": 1,
            "leverage": "10",
            "open_type": "cross",
        },
    ),
    "/contract/private/modify-limit-order": lambda w: (
        w.main,
        {"symbol": "BTCUSDT", **w.open_limit(), "price": "80100"},
    ),
    "/contract/private/cancel-order": lambda w: (w.main, {"symbol": "BTCUSDT", **_just_id(w.open_limit())}),
    "/contract/private/cancel-orders": lambda w: (w.oneway, {"symbol": "ETHUSDT"}),
    "/contract/private/cancel-all-after": lambda w: (w.oneway, {"symbol": "ETHUSDT", "timeout": 10}),
    "/contract/private/submit-plan-order": lambda w: (
        w.main,
        {
            "symbol": "BTCUSDT",
            "side": 1,
            "type": "limit",
            "size": 1,
            "trigger_price": "90000",
            "executive_price": "89000",
            "price_way": 2,
            "price_type": 1,
            "leverage": "10",
            "open_type": "cross",
        },
    ),
    "/contract/private/cancel-plan-order": lambda w: (w.main, {"symbol": "BTCUSDT", "order_id": w.plan()}),
    "/account/v1/transfer-contract": lambda w: (
        w.oneway,
        {"currency": "USDT", "amount": "1", "type": "contract_to_spot", "recvWindow": 5000},
    ),
    "/contract/private/submit-leverage": lambda w: (
        w.oneway,
        {"symbol": "ETHUSDT", "leverage": "5", "open_type": "cross"},
    ),
    "/contract/private/submit-tp-sl-order": lambda w: (
        w.main,
        {
            "symbol": "BTCUSDT",
            "type": "stop_loss",
            "side": 3,
            "size": 1,
            "trigger_price": "85000",
            "executive_price": "85000",
            "price_type": 1,
            "plan_category": 1,
            "category": "limit",
            "client_order_id": "refsl" + uuid.uuid4().hex[:12],
        },
    ),
    "/contract/private/modify-plan-order": lambda w: (
        w.main,
        {
            "symbol": "BTCUSDT",
            "order_id": w.plan(),
            "trigger_price": "90500",
            "executive_price": "89500",
            "price_type": 1,
            "type": "limit",
        },
    ),
    "/contract/private/modify-preset-plan-order": lambda w: (
        w.main,
        {
            "symbol": "BTCUSDT",
            "order_id": w.plan(),
            "preset_take_profit_price_type": 1,
            "preset_take_profit_price": "110000",
        },
    ),
    "/contract/private/modify-tp-sl-order": lambda w: (
        w.main,
        {
            "symbol": "BTCUSDT",
            "order_id": w.tp_sl(),
            "trigger_price": "121000",
            "executive_price": "121000",
            "price_type": 1,
            "plan_category": 1,
            "category": "limit",
        },
    ),
    "/contract/private/submit-trail-order": lambda w: (
        w.main,
        {
            "symbol": "BTCUSDT",
            "side": 4,
            "leverage": "10",
            "open_type": "cross",
            "size": 1,
            "activation_price": "99000",
            "callback_rate": "1",
            "activation_price_type": 1,
        },
    ),
    "/contract/private/cancel-trail-order": lambda w: (w.main, {"symbol": "BTCUSDT", "order_id": w.trail()}),
    "/contract/private/set-position-mode": lambda w: (w.sub, {"position_mode": "hedge_mode"}),
    "/contract/private/get-position-mode": lambda w: (w.main, {}),
    "/account/contract/sub-account/main/v1/sub-to-main": lambda w: (
        w.main,
        {"requestNo": str(uuid.uuid4()), "amount": "1", "currency": "USDT", "subAccount": w.sub_email},
    ),
    "/account/contract/sub-account/main/v1/main-to-sub": lambda w: (
        w.main,
        {"requestNo": str(uuid.uuid4()), "amount": "1", "currency": "USDT", "subAccount": w.sub_email},
    ),
    "/account/contract/sub-account/sub/v1/sub-to-main": lambda w: (
        w.sub,
        {"requestNo": str(uuid.uuid4()), "amount": "1", "currency": "USDT"},
    ),
    "/account/contract/sub-account/main/v1/wallet": lambda w: (
        w.main,
        {"subAccount": w.sub_email, "currency": "USDT"},
    ),
    "/account/contract/sub-account/main/v1/transfer-list": lambda w: (
        w.main,
        {"subAccount": w.sub_email, "limit": 10},
    ),
    "/account/contract/sub-account/v1/transfer-history": lambda w: (w.sub, {"limit": 10}),
    "/contract/private/affiliate/rebate-list": lambda w: (
        w.main,
        {"page": 1, "size": 10, "currency": "USDT"},
    ),
    "/contract/private/affiliate/trade-list": lambda w: (
        w.main,
        {"user_id": 1, "type": 1, "page": 1, "size": 10},
    ),
}


def _just_id(ref: dict[str, Any]) -> dict[str, Any]:
    return {"order_id": ref["order_id"]}


ENDPOINTS = rest_endpoints()


def test_every_documented_endpoint_has_a_recipe() -> None:
    documented = {e.path for e in ENDPOINTS}
    assert len(documented) >= 40
    assert documented == set(RECIPES), documented ^ set(RECIPES)


def test_rest_answers_match_the_reference(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    served = 0
    failures: list[str] = []
    for endpoint in ENDPOINTS:
        problems = _check(world, endpoint)
        if problems:
            failures.append(f"{endpoint.method} {endpoint.path}:\n    " + "\n    ".join(problems))
        else:
            served += 1
    with capsys.disabled():
        print(
            f"\nBitMart REST reference: {served}/{len(ENDPOINTS)} documented endpoints served as documented"
        )
    assert not failures, "\n".join(failures)
    assert served == len(ENDPOINTS) == 46  # every endpoint of the committed reference data


def _check(world: World, endpoint: RestEndpoint) -> list[str]:
    client, params = RECIPES[endpoint.path](world)
    status, doc = client.call(endpoint.method, endpoint.path, params)
    if status != 200 or doc.get("code") != 1000:
        return [f"HTTP {status} {doc}"]
    if set(doc) != {"code", "message", "data", "trace"}:
        return [f"envelope keys {sorted(doc)}"]
    allowed = endpoint.fields | LIVE_EXTRAS.get(endpoint.path, frozenset())
    return shape_problems(
        endpoint.example_data, doc["data"], allowed=allowed, may_be_empty=endpoint.path in MAY_BE_EMPTY
    )


def test_position_v2_zero_row_and_directions(world: World) -> None:
    """A symbol without a position answers the documented zero row; one-way mode says "both";
    position_type and position_amount give the direction (1 long / 2 short)."""
    rows = world.oneway.ok("GET", "/contract/private/position-v2", {"symbol": "ETHUSDT"})
    assert len(rows) == 1
    assert rows[0]["position_side"] == "both" and rows[0]["current_amount"] == "0"
    rows = world.oneway.ok("GET", "/contract/private/position-v2", {"symbol": "BTCUSDT"})
    got = [(r["position_side"], r["position_type"], r["position_amount"]) for r in rows]
    assert got == [("both", 1, "3")]
    rows = world.main.ok("GET", "/contract/private/position-v2", {"symbol": "BTCUSDT"})
    by_side = {r["position_side"]: r for r in rows}
    assert set(by_side) == {"long", "short"}
    assert (by_side["long"]["position_type"], by_side["long"]["current_amount"]) == (1, "2")
    assert (by_side["short"]["position_type"], by_side["short"]["current_amount"]) == (2, "0")


# Documented as required but with a documented condition or default that makes them optional.
CONDITIONALLY_REQUIRED = {
    ("/contract/private/submit-order", "price"),  # "required at limit order"
    ("/contract/private/order", "order_id"),  # or client_order_id (as the SDK sends it)
}


def test_every_documented_required_parameter_is_required(world: World) -> None:
    """Omitting a parameter the reference marks required is refused (never a 1000)."""
    accepted = []
    checked = 0
    for endpoint in ENDPOINTS:
        for name, (_, required) in endpoint.params.items():
            if not required or (endpoint.path, name) in CONDITIONALLY_REQUIRED:
                continue
            client, params = RECIPES[endpoint.path](world)
            if name not in params:
                continue
            params.pop(name)
            status, doc = client.call(endpoint.method, endpoint.path, params)
            checked += 1
            if doc.get("code") == 1000 or status >= 500:
                accepted.append(f"{endpoint.method} {endpoint.path} without {name}: HTTP {status} {doc}")
    assert checked > 60
    assert accepted == [], "\n".join(accepted)
