"""The one-write-per-answer HTTP protocol: the head waits for the body, nothing else waits.

Unit part on a recording transport; wire part against the real sandbox (which runs with it):
raw sockets, so segmentation, `Expect: 100-continue` and pipelining are what a client sees."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from perpdesk.sandbox.api.transport import _CoalescingWriter
from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_api.helpers import new_trader, sign


class Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else None


def test_head_and_body_leave_in_one_write() -> None:
    rec = Recorder()
    w = _CoalescingWriter(rec)  # type: ignore[arg-type]
    w.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    assert rec.writes == []
    w.write(b"{}")
    assert rec.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    w.write(b"more")  # later chunks pass straight through
    assert rec.writes[-1] == b"more"
    w.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # never held back
    assert rec.writes[-1] == b"HTTP/1.1 100 Continue\r\n\r\n"
    w.write(b"HTTP/1.1 500 Internal Server Error\r\n\r\n")
    w.close()  # closing sends what is held, then closes
    assert rec.writes[-1].startswith(b"HTTP/1.1 500") and rec.closed
    assert w.get_extra_info("peername") == ("127.0.0.1", 1)  # the rest passes through


def _read_response(sock: socket.socket, buf: bytearray) -> tuple[bytes, bytes]:
    while b"\r\n\r\n" not in buf:
        buf.extend(sock.recv(65536))
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(line[15:]) for line in lines if line.lower().startswith(b"content-length:"))
    while len(rest) < length:
        rest += sock.recv(65536)
    buf[:] = rest[length:]
    return head, rest[:length]


def test_one_segment_per_answer_and_pipelining(sandbox: SandboxServer) -> None:
    with socket.create_connection((sandbox.host, sandbox.port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request = f"GET /system/time HTTP/1.1\r\nHost: {sandbox.host}\r\n\r\n".encode()
        sock.sendall(request)
        # one write on loopback lands in the receive buffer at once: the first recv has it all
        # (with a write for the head and one for the body it mostly returns the head alone)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200") and first.endswith(b"}"), first
        sock.sendall(request * 3)  # pipelined: three complete answers, in order
        buf = bytearray()
        for _ in range(3):
            head, body = _read_response(sock, buf)
            assert head.startswith(b"HTTP/1.1 200") and json.loads(body)["code"] == 1000


def test_expect_100_continue_is_answered_before_the_body(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    body = b'{"page": 1, "limit": 10}'
    ts = str(int(time.time() * 1000))
    head = (
        f"POST /account/v1/transfer-contract-list HTTP/1.1\r\nHost: {sandbox.host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n"
        f"X-BM-KEY: {key['api_key']}\r\nX-BM-TIMESTAMP: {ts}\r\n"
        f"X-BM-SIGN: {sign(key['secret_key'], key['memo'], ts, body.decode())}\r\n\r\n"
    ).encode()
    with socket.create_connection((sandbox.host, sandbox.port), timeout=5) as sock:
        sock.sendall(head)
        interim = sock.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
        sock.sendall(body)
        buf = bytearray(interim.partition(b"\r\n\r\n")[2])
        status, payload = _read_response(sock, buf)
        assert status.startswith(b"HTTP/1.1 200")
        assert json.loads(payload)["data"]["records"][0]["amount"] == "10000"
