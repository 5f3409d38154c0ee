"""One write per answer: uvicorn's httptools protocol writes a response's status line and headers,
then its body, as two socket writes. On loopback each write is a TCP segment and a wake-up of the
client, which doubled the per-request cost of small JSON answers (the sandbox's whole traffic).
`CoalescingProtocol` holds the head back until the first body write and sends both together.
The bytes on the wire are unchanged; only how they are cut into segments differs.

`perpdesk/sandbox/server.py` serves with these protocols; this module knows nothing of it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from perpdesk.sandbox.api.rest import TRANSPORT_KEY


class SandboxProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, exposing the connection to the app so a fault can drop it."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope[TRANSPORT_KEY] = self.transport  # type: ignore[literal-required]


class _CoalescingWriter:
    """The transport one request/response cycle writes to (everything else passes through)."""

    __slots__ = ("_head", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None

    def write(self, data: Any) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head + data)
        elif data[:9] == b"HTTP/1.1 " and data[9:12] != b"100":  # a final status line and headers
            self._head = bytes(data)
        else:  # "100 Continue" must leave at once: the client waits for it before the body
            self._transport.write(data)

    def flush(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingProtocol(SandboxProtocol):
    """The sandbox's httptools protocol (faults can still reach the raw transport), with each
    response's head and body written together. HEAD answers, which have no body write, and
    WebSocket upgrades keep the plain transport."""

    def on_headers_complete(self) -> None:
        if self.parser.get_method() == b"HEAD" or self.parser.should_upgrade():
            super().on_headers_complete()
            return
        real = self.transport
        self.transport = _CoalescingWriter(real)  # type: ignore[assignment]  # the new cycle keeps it
        try:
            super().on_headers_complete()
        finally:
            self.transport = real

