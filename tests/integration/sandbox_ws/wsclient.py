"""Small client helpers for the sandbox WebSocket tests (login signing, waiting for a message)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import websockets

from tests.fixtures.sandbox import SandboxServer


def sign_login(key: dict[str, Any], timestamp: str | None = None) -> list[str]:
    timestamp = timestamp or str(int(time.time() * 1000))
    sign = hmac.new(key["secret_key"].encode(), f"{timestamp}#{key['memo']}#bitmart.WebSocket".encode(),
                    hashlib.sha256).hexdigest()
    return [key["api_key"], timestamp, sign, "web"]


async def recv_until(ws: Any, want: Callable[[Any], bool], timeout: float = 10.0) -> Any:
    """The first message for which want(message) is true (others are skipped)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError("no matching WebSocket message in time")
        raw = await asyncio.wait_for(ws.recv(), remaining)
        message = json.loads(raw) if raw != "pong" else raw
        if want(message):
            return message


async def login(sandbox: SandboxServer, key: dict[str, Any]) -> Any:
    ws = await websockets.connect(sandbox.ws_url + "/user?protocol=1.1")
    await ws.send(json.dumps({"action": "access", "args": sign_login(key)}))
    reply = await recv_until(ws, lambda m: m.get("action") == "access")
    assert reply == {"action": "access", "success": True}
    return ws


def push_of(group: str) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, dict) and m.get("group") == group and "data" in m


def ack_of(group: str) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, dict) and m.get("group") == group and "success" in m


async def gather(ws: Any, counts: dict[str, int], timeout: float = 10.0) -> dict[str, list[Any]]:
    """The first counts[group] pushes' data of each group, in arrival order (others skipped)."""
    got: dict[str, list[Any]] = {group: [] for group in counts}
    async with asyncio.timeout(timeout):
        while any(len(got[g]) < n for g, n in counts.items()):
            message = json.loads(await ws.recv())
            group = message.get("group") if isinstance(message, dict) else None
            if group in got and "data" in message and len(got[group]) < counts[group]:
                got[group].append(message["data"])
    return got
