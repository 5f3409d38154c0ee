"""One keep-alive HTTP/1.1 connection on an asyncio protocol, parsed by httptools' C parser, and
the protocol that reads a proxy's answer to CONNECT before TLS takes the socket over."""

from __future__ import annotations

import asyncio

import httptools

from perpdesk.http.message import (
    BodyTooLarge,
    ConnectFailed,
    ConnectionLost,
    HttpResponse,
    TransportError,
    decode_body,
    headers_of,
)


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; one request in flight at a time."""

    __slots__ = (
        "_body",
        "_headers",
        "_headers_done",
        "_lost",
        "_max_decoded",
        "_max_raw",
        "_parser",
        "_raw_size",
        "_waiter",
        "keep_alive",
        "loop",
        "sent",
        "transport",
    )

    def __init__(self, max_raw: int, max_decoded: int) -> None:
        self.transport: asyncio.Transport | None = None
        self._max_raw = max_raw
        self._max_decoded = max_decoded
        self._raw_size = 0
        # the loop it lives on (made inside it): saves a get_running_loop (a getpid) per request
        self.loop = asyncio.get_running_loop()
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[HttpResponse] | None = None
        self._headers: list[tuple[str, str]] = []  # lower-case names, as received
        self._body: list[bytes] = []
        self._headers_done = False  # this message's status line and headers have arrived
        self._lost = False
        self.keep_alive = True
        self.sent = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # pragma: no cover - never asked for
            pass
        except httptools.HttpParserError as exc:
            self._fail(ConnectionLost(f"malformed HTTP response: {exc}", maybe_sent=True))
            self.close()

    def eof_received(self) -> bool | None:
        self.keep_alive = False
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self.keep_alive = False
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if self._headers_done and not self._has_framing():
                # close-delimited body: the end of the connection is the end of the message
                self._finish()
            else:
                waiter.set_exception(ConnectionLost(
                    f"connection closed before the response ({exc or 'EOF'})", maybe_sent=self.sent
                ))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        # httptools hands over whole names and values (it joins split packets itself)
        self._headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._raw_size += len(body)
        if self._raw_size > self._max_raw:  # counted as it arrives: a huge body is never held
            self._fail(BodyTooLarge(f"the response body passes {self._max_raw} bytes on the wire"))
            self.close()
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        if not self._parser.should_keep_alive():
            self.keep_alive = False
        self._finish()

    # internals
    def _has_framing(self) -> bool:
        return any(name in ("content-length", "transfer-encoding") for name, _ in self._headers)

    def _finish(self) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        body = b"".join(self._body)
        headers = headers_of(self._headers)
        encoding = headers.get("content-encoding")
        if encoding is not None and body:
            try:
                body = decode_body(encoding, body, self._max_decoded)
            except TransportError as exc:
                self.keep_alive = False
                waiter.set_exception(exc)
                return
            except ValueError as exc:
                self.keep_alive = False
                waiter.set_exception(ConnectionLost(str(exc), maybe_sent=True))
                return
        waiter.set_result(HttpResponse(self._parser.get_status_code(), headers, body))

    def _fail(self, exc: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)

    @property
    def usable(self) -> bool:
        return (
            self.keep_alive and not self._lost and self.transport is not None
            and not self.transport.is_closing()
        )

    def start(self, payload: bytes) -> asyncio.Future[HttpResponse]:
        self._headers = []
        self._body = []
        self._raw_size = 0
        self._headers_done = False
        self._waiter = self.loop.create_future()
        self.sent = True
        assert self.transport is not None
        self.transport.write(payload)
        return self._waiter

    def close(self) -> None:
        self.keep_alive = False
        if self.transport is not None:
            self.transport.close()


_MAX_TUNNEL_ANSWER = 64 * 1024


class TunnelProtocol(asyncio.Protocol):
    """Reads the proxy's answer to CONNECT, then hands the socket over to TLS + Connection."""

    def __init__(self) -> None:
        self.buffer = b""
        self.done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.done.done():
            return
        if b"\r\n\r\n" in self.buffer:
            self.done.set_result(self.buffer)
        elif len(self.buffer) > _MAX_TUNNEL_ANSWER:  # a proxy that never ends its answer
            self.done.set_exception(ConnectFailed("the proxy's answer to CONNECT has no end"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectFailed(f"proxy closed the tunnel ({exc or 'EOF'})"))
