"""Bad input and slow readers on the sandbox WebSocket: specific errors, nobody else affected."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from decimal import Decimal
from typing import Any

import pytest
import websockets

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_ws.wsclient import ack_of, push_of, recv_until

BAD_FRAMES: list[tuple[str | bytes, str]] = [  # (frame, what the error must say)
    ("not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ("null", "must be a JSON object"),
    (b"\xff\xfe\x00binary", "not valid JSON"),
    ("[" * 5000 + "]" * 5000, "not valid JSON"),
    ('{"action": 5}', "unknown action"),
    ('{"action": "bogus", "args": []}', "unknown action"),
    ('{"action": "subscribe"}', "args must be a non-empty list"),
    ('{"action": "subscribe", "args": "futures/ticker:BTCUSDT"}', "args must be a non-empty list"),
    ('{"action": "subscribe", "args": [1, {}]}', "must be a string"),
    (json.dumps({"action": "subscribe", "args": ["futures/ticker:" + "X" * 4100]}), "at most 4096"),
    (json.dumps({"action": "request", "args": [None]}), "must be a string"),
    ("x" * 100_000, "message too large"),
    (json.dumps({"action": "access", "args": ["k", "1", "s", "web"]}), "private path /user"),
]
BAD_GROUPS = [
    ("sfutures/depth50:BTCUSDT", "not exist"),
    ("futures/depth20:BTCUSDT@1ms", "@100ms or @200ms"),
    ("futures/klineBin7m:BTCUSDT", "not exist"),
    ("futures/ticker:BTCUSDT@100ms", "only depth channels"),
    ("futures/trade", "name a symbol"),
    ("futures/depth20:NOPEUSDT", "unknown symbol"),
    ("futures/asset:DOGE", "name a currency"),
    ("futures/order:BTCUSDT", "takes no filter"),
    ("futures/order", "need authenication"),
    ("\u0000\ud7ff" * 10, "not exist"),
]


async def test_bad_frames_and_groups_answer_errors_and_harm_nobody(sandbox: SandboxServer) -> None:
    async with (
        websockets.connect(sandbox.ws_url + "/api?protocol=1.1") as bystander,
        websockets.connect(sandbox.ws_url + "/api?protocol=1.1", max_size=None) as ws,
    ):
        await bystander.send(json.dumps({"action": "subscribe", "args": ["futures/ticker:SOLUSDT"]}))
        await recv_until(bystander, ack_of("futures/ticker:SOLUSDT"))
        for frame, expected in BAD_FRAMES:
            await ws.send(frame)
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply["success"] is False and expected in reply["error"], (frame[:40], reply)
        await ws.send(json.dumps({"action": "subscribe", "args": [g for g, _ in BAD_GROUPS]}))
        for group, expected in BAD_GROUPS:
            reply = await recv_until(ws, ack_of(group))
            assert reply["success"] is False and expected in reply["error"], (group, reply)
        await ws.send("ping")  # still served
        assert await recv_until(ws, lambda m: m == "pong") == "pong"
        mark = Decimal((await asyncio.to_thread(sandbox.admin.market))["marks"]["SOLUSDT"])
        await asyncio.to_thread(sandbox.admin.set_price, "SOLUSDT", mark + 1)
        ticker = await recv_until(bystander, push_of("futures/ticker:SOLUSDT"))
        assert Decimal(ticker["data"]["mark_price"]) == mark + 1


async def test_oversized_frame_closes_only_that_connection(sandbox: SandboxServer) -> None:
    async with websockets.connect(sandbox.ws_url + "/api?protocol=1.1", max_size=None) as ws:
        await ws.send("x" * (2 << 20))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1009  # message too big
    async with websockets.connect(sandbox.ws_url + "/api?protocol=1.1") as fresh:
        await fresh.send('{"action":"ping"}')
        assert json.loads(await asyncio.wait_for(fresh.recv(), 5)) == {"group": "System", "data": "pong"}


def _masked_text_frame(text: str) -> bytes:
    payload = text.encode()
    assert len(payload) < 65536
    mask = os.urandom(4)
    head = bytes([0x81, 0xFE]) + len(payload).to_bytes(2, "big") if len(payload) > 125 else bytes(
        [0x81, 0x80 | len(payload)])
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _raw_connect(url: str, source: str = "127.0.0.1", rcvbuf: int | None = None) -> socket.socket:
    """A raw WebSocket connection (handshake done) from `source`, optionally with a small buffer."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(5)
    sock.bind((source, 0))
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /api?protocol=1.1 HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def _slow_client(url: str, first_message: str) -> socket.socket:
    """A raw WebSocket client that subscribes and then reads nothing (small receive buffer)."""
    sock = _raw_connect(url, rcvbuf=4096)
    sock.sendall(_masked_text_frame(first_message))
    return sock


def _closed_by_server(sock: socket.socket, seconds: float) -> bool:
    """Read what waits until the server closes the socket (True) or the time is up (False)."""
    deadline = time.monotonic() + seconds
    sock.settimeout(1)
    while time.monotonic() < deadline:
        try:
            if not sock.recv(1 << 20):
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


async def test_slow_reader_is_dropped_and_does_not_stall_others(sandbox: SandboxServer) -> None:
    symbols = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    heavy = [f"futures/{c}:{s}{speed}" for s in symbols for c in ("depth50", "depthAll50", "depthIncrease50")
             for speed in ("", "@100ms", "@200ms")]
    subscribe = json.dumps({"action": "subscribe", "args": heavy})
    slow = await asyncio.to_thread(_slow_client, sandbox.ws_url + "/api?protocol=1.1", subscribe)
    fast = await websockets.connect(sandbox.ws_url + "/api?protocol=1.1")
    ticks = 200
    try:
        await fast.send(json.dumps({"action": "subscribe", "args": ["futures/ticker:SOLUSDT"]}))
        await recv_until(fast, ack_of("futures/ticker:SOLUSDT"))
        marks = (await asyncio.to_thread(sandbox.admin.market))["marks"]
        seen: list[Any] = []

        async def read_fast() -> None:
            while len(seen) < ticks:
                msg = json.loads(await fast.recv())
                if msg.get("group") == "futures/ticker:SOLUSDT":
                    seen.append(msg["data"]["mark_price"])

        reader = asyncio.create_task(read_fast())

        def drive() -> None:
            for i in range(ticks):
                for symbol in symbols:
                    sandbox.admin.set_price(symbol, Decimal(marks[symbol]) + Decimal(i % 7) / 10 + 1)

        await asyncio.to_thread(drive)
        await asyncio.wait_for(reader, 10)  # every tick reached the fast reader
        assert len(seen) == ticks
        # The slow reader was cut off (its queue is bounded): what is left to read ends in a close.
        assert await asyncio.to_thread(_closed_by_server, slow, 20)
    finally:
        slow.close()
        await fast.close()


async def test_subscription_flood_is_answered_in_full(sandbox: SandboxServer) -> None:
    groups = [f"futures/depth{n}:BTCUSDT" for n in (5, 20, 50)] + ["futures/nope:BTCUSDT"]
    messages = 400
    async with websockets.connect(sandbox.ws_url + "/api?protocol=1.1", max_size=None) as ws:
        for _ in range(messages):
            await ws.send(json.dumps({"action": "subscribe", "args": groups}))
        acks: dict[bool, int] = {True: 0, False: 0}
        async with asyncio.timeout(20):
            while sum(acks.values()) < messages * len(groups):
                msg = json.loads(await ws.recv())
                if msg.get("action") == "subscribe":
                    acks[msg["success"]] += 1
        assert acks == {True: messages * 3, False: messages}


def test_at_most_500_connections_per_ip(sandbox: SandboxServer) -> None:
    source = "127.0.0.23"  # an address of its own, so other tests' connections do not count
    socks = []
    try:
        for _ in range(500):
            socks.append(_raw_connect(sandbox.ws_url, source))
        extra = _raw_connect(sandbox.ws_url, source)
        socks.append(extra)
        frame = extra.recv(2 + 125)  # the 501st is accepted, then closed with 1008
        assert frame[0] == 0x88 and int.from_bytes(frame[2:4], "big") == 1008, frame
        socks[0].close()
        time.sleep(0.5)
        again = _raw_connect(sandbox.ws_url, source)  # a freed slot can be used again
        socks.append(again)
        again.sendall(_masked_text_frame('{"action":"ping"}'))
        again.settimeout(5)
        assert b"pong" in again.recv(100)
    finally:
        for sock in socks:
            sock.close()
