"""BitMart's WebSocket reference as a test: every documented channel is served by the sandbox and
every push example of the reference matches what the sandbox pushes, field by field and type by
type (values aside); the acknowledgement examples of the Overview likewise. Prints coverage."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from decimal import Decimal
from typing import Any

import pytest
import websockets
from bitmart.api_contract import APIContract

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_reference.ws_reference_docs import (
    WsReference,
    field_problems,
    load_ws_reference,
    shape_problems,
)

SYMBOL = "BTCUSDT"
DOCUMENTED = {"public": 31, "private": 3}  # channels in the committed reference data


@pytest.fixture(scope="module")
def reference() -> WsReference:
    return load_ws_reference()


def _channel(group: str) -> str:
    return group.split(":", 1)[0]


def _login_args(key: dict[str, Any]) -> list[str]:
    ts = str(int(time.time() * 1000))
    sign = hmac.new(key["secret_key"].encode(), f"{ts}#{key['memo']}#bitmart.WebSocket".encode(),
                    hashlib.sha256).hexdigest()
    return [key["api_key"], ts, sign, "web"]


async def _subscribe(ws: Any, groups: list[str], pushes: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """Subscribe in messages under the documented 4096 bytes; returns the acknowledgement per group
    (pushes that arrive meanwhile are kept in `pushes`)."""
    batches: list[list[str]] = [[]]
    for group in groups:
        if sum(len(g) for g in batches[-1]) + len(group) > 3000:
            batches.append([])
        batches[-1].append(group)
    acks: dict[str, dict[str, Any]] = {}
    for batch in batches:
        await ws.send(json.dumps({"action": "subscribe", "args": batch}))
    async with asyncio.timeout(10):
        while len(acks) < len(groups):
            msg = json.loads(await ws.recv())
            if msg.get("action") == "subscribe":
                acks[msg["group"]] = msg
            elif "group" in msg and "data" in msg:
                pushes.setdefault(msg["group"], []).append(msg["data"])
    return acks


async def _collect(ws: Any, pushes: dict[str, list[Any]], done: Any, seconds: float) -> None:
    """Gather pushes per group until done() or the time is up."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not done():
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return
        try:
            msg = json.loads(await asyncio.wait_for(ws.recv(), left))
        except TimeoutError:
            return
        if isinstance(msg, dict) and "group" in msg and "data" in msg:
            pushes.setdefault(msg["group"], []).append(msg["data"])


def _judge(reference: WsReference, channel: str, acks: dict[str, dict[str, Any]],
           pushes: dict[str, list[Any]]) -> list[str]:
    """What keeps `channel` from being served as documented (empty: served)."""
    groups = [g for g in acks if _channel(g) == channel]
    problems = [f"subscribe {g}: {acks[g].get('error')}" for g in groups
                if acks[g].get("success") is not True]
    got = [data for g in groups for data in pushes.get(g, [])]
    if not got:
        return [*problems, "no push received"]
    section = reference.section_of(channel)
    for example in section.examples:
        tried = [shape_problems(example["data"], data) for data in got]
        if all(tried):
            problems.append(f"no push shaped like the example of {example['group']}: {min(tried, key=len)}")
    problems += field_problems(section.fields, got)
    return problems


def _report(kind: str, reference: WsReference, verdicts: dict[str, list[str]],
            capsys: pytest.CaptureFixture[str]) -> None:
    served = [c for c, p in verdicts.items() if not p]
    with capsys.disabled():  # the coverage line shows in every run, like the REST one
        print(f"\nWS reference coverage ({kind}): {len(served)}/{len(verdicts)} documented channels served")
        for channel, problems in verdicts.items():
            for problem in problems:
                print(f"  {channel}: {problem}")
    assert len(verdicts) == len(reference.channels(kind == "private")) == DOCUMENTED[kind]
    assert not [c for c, p in verdicts.items() if p], "channels not served as documented"


def _place_market_order(sandbox: SandboxServer, key: dict[str, Any], size: int = 2) -> None:
    api = APIContract(key["api_key"], key["secret_key"], key["memo"], url=sandbox.base_url)
    placed = api.post_submit_order(contract_symbol=SYMBOL, type="market", side=1, leverage="10",
                                   open_type="cross", size=size)
    assert placed[0]["code"] == 1000, placed


async def test_public_channels_as_documented(sandbox: SandboxServer, reference: WsReference,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    channels = reference.channels(private=False)
    examples = [e["group"] for s in reference.sections if not s.private for e in s.examples]
    groups = list(dict.fromkeys([f"{c}:{SYMBOL}" for c in channels] + examples))
    user = sandbox.admin.create_user()
    key = sandbox.admin.create_key(user["email"], memo="ws-ref", ip=("127.0.0.1",))
    pushes: dict[str, list[Any]] = {}
    async with websockets.connect(sandbox.ws_url + "/api?protocol=1.1", max_size=None) as ws:
        acks = await _subscribe(ws, groups, pushes)
        mark = Decimal((await asyncio.to_thread(sandbox.admin.market))["marks"][SYMBOL])
        for step in (1, 2):  # two ticks: depthIncrease sends a snapshot, then an update
            await asyncio.to_thread(sandbox.admin.set_price, SYMBOL, mark + step)
        await asyncio.to_thread(_place_market_order, sandbox, key)

        def done() -> bool:
            increase = [d.get("type") for g, ds in pushes.items() if "depthIncrease" in g for d in ds]
            return all(pushes.get(g) for g in groups) and {"snapshot", "update"} <= set(increase)

        await _collect(ws, pushes, done, 15)
    verdicts = {c: _judge(reference, c, acks, pushes) for c in channels}
    _report("public", reference, verdicts, capsys)


async def test_private_channels_as_documented(sandbox: SandboxServer, reference: WsReference,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    channels = reference.channels(private=True)
    # futures/asset is documented for USDT, BTC and ETH; a common client subscribes to all three.
    groups = [f"{c}:{cur}" for c in channels if c == "futures/asset" for cur in ("USDT", "BTC", "ETH")]
    groups += [c for c in channels if c != "futures/asset"]
    user = sandbox.admin.create_user()
    key = sandbox.admin.create_key(user["email"], memo="ws-ref", ip=("127.0.0.1",))
    pushes: dict[str, list[Any]] = {}
    async with websockets.connect(sandbox.ws_url + "/user?protocol=1.1") as ws:
        await ws.send(json.dumps({"action": "access", "args": _login_args(key)}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"action": "access", "success": True}
        acks = await _subscribe(ws, groups, pushes)
        await asyncio.to_thread(_place_market_order, sandbox, key)
        wanted = ["futures/asset:USDT", "futures/position", "futures/order"]
        await _collect(ws, pushes, lambda: all(pushes.get(g) for g in wanted), 10)
    verdicts = {c: _judge(reference, c, acks, pushes) for c in channels}
    _report("private", reference, verdicts, capsys)


async def test_acknowledgements_as_documented(sandbox: SandboxServer, reference: WsReference) -> None:
    """The Overview's acknowledgement examples, sent back as documented (errors may add detail)."""
    checked = 0
    async with websockets.connect(sandbox.ws_url + "/api?protocol=1.1") as public:
        for ack in reference.acks:
            request = ack.get("request")
            if ack["action"] == "access" or request is None:
                continue
            await public.send(json.dumps(request))
            got = json.loads(await asyncio.wait_for(public.recv(), 5))
            if ack["success"]:
                assert got == ack
            else:
                assert {k: v for k, v in got.items() if k != "error"} == {k: v for k, v in ack.items()
                                                                          if k != "error"}
                assert got["error"].startswith(ack["error"]), (got, ack)
            checked += 1
    # Without a login: "futures/order need authenication"; a bad login: "access failed: openapi auth".
    refused = next(a for a in reference.acks if a.get("group") == "futures/order")
    bad_login = next(a for a in reference.acks if a["action"] == "access" and not a["success"])
    async with websockets.connect(sandbox.ws_url + "/user?protocol=1.1") as private:
        await private.send(json.dumps({"action": "subscribe", "args": ["futures/order"]}))
        got = json.loads(await asyncio.wait_for(private.recv(), 5))
        assert got["success"] is False and got["error"].startswith(refused["error"])
        await private.send(json.dumps({"action": "access", "args": ["f" * 40, "1", "0" * 64, "web"]}))
        got = json.loads(await asyncio.wait_for(private.recv(), 5))
        user = sandbox.admin.create_user()
        key = sandbox.admin.create_key(user["email"], memo="ws-ref", ip=("127.0.0.1",))
    async with websockets.connect(sandbox.ws_url + "/user?protocol=1.1") as private:
        args = _login_args(key)
        await private.send(json.dumps({"action": "access", "args": [*args[:2], "0" * 64, "web"]}))
        got = json.loads(await asyncio.wait_for(private.recv(), 5))
        prefix = bad_login["error"].split("880d5edecs")[0]
        assert got["success"] is False and got["error"].startswith(prefix), got
    assert checked >= 5
