"""What the HTTP client speaks in: origins, requests, responses (repeated headers kept, the
Content-Encoding undone within a cap) and the errors that say whether a request may have reached
the server."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_RAW_BODY = 16 * 1024 * 1024  # bytes on the wire, before any Content-Encoding is undone
MAX_DECODED_BODY = 64 * 1024 * 1024  # a compressed answer may not inflate beyond this


class TransportError(Exception):
    """The server could not be reached or did not answer. `maybe_sent`: it may have acted."""

    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class ConnectFailed(TransportError):
    def __init__(self, message: str) -> None:
        super().__init__(message, maybe_sent=False)


class TlsVerificationFailed(ConnectFailed):
    """The server's certificate did not verify: nothing was sent to it."""


class ProxyAuthRequired(ConnectFailed):
    """The proxy answered 407: the proxy URL needs (other) credentials, http://user:pass@host:port."""


class RequestTimeout(TransportError):
    pass


class ConnectionLost(TransportError):
    pass


class BodyTooLarge(ConnectionLost):
    """The response body passed a size cap (on the wire or once decompressed)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, maybe_sent=True)


class Headers(dict[str, str]):
    """Response headers by lower-case name: `h[name]`/`get` give the last value (as a plain dict
    would), `get_all` every value in the order received, `pairs` the headers as they came.
    Made by `headers_of` (no Python __init__: one is built per response on the hot path)."""

    __slots__ = ("pairs",)
    pairs: list[tuple[str, str]]

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.pairs if key == name]


def headers_of(pairs: list[tuple[str, str]]) -> Headers:
    """`pairs` with lower-case names, in the order received."""
    headers = Headers(pairs)
    headers.pairs = pairs
    return headers


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Origin:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base URL must be http(s)://host[:port], got {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port)

    @property
    def authority(self) -> str:
        """host:port, an IPv6 literal in brackets (what CONNECT names)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.authority if self.port != default else self.authority.rsplit(":", 1)[0]

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host_header}"


@dataclass(slots=True)
class HttpRequest:
    """`target` is the path and query; the client adds Host, Content-Length and any proxy header."""

    method: str
    origin: Origin
    target: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    timeout_s: float = 10.0

    @classmethod
    def to(cls, method: str, url: str, *, headers: list[tuple[str, str]] | None = None,
           body: bytes = b"", timeout_s: float = 10.0) -> HttpRequest:
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(method, Origin.parse(url), target, headers or [], body, timeout_s)


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: Headers
    body: bytes


def decode_body(content_encoding: str, body: bytes, limit: int = MAX_DECODED_BODY) -> bytes:
    """Undo the Content-Encoding (gzip, deflate, identity; the last applied first) within `limit`."""
    for coding in reversed([c.strip().lower() for c in content_encoding.split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, 16 + zlib.MAX_WBITS, limit)
        elif coding == "deflate":
            try:  # RFC 9110: zlib-wrapped; some servers send raw deflate
                body = _inflate(body, zlib.MAX_WBITS, limit)
            except ValueError:  # (BodyTooLarge is no ValueError: it propagates)
                body = _inflate(body, -zlib.MAX_WBITS, limit)
        elif coding != "identity":
            raise ValueError(f"unsupported Content-Encoding {coding!r} in the response")
    return body


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit)
    except zlib.error as exc:
        raise ValueError(f"the compressed response body is corrupt: {exc}") from None
    if inflater.unconsumed_tail:
        raise BodyTooLarge(f"the response body inflates beyond {limit} bytes")
    if not inflater.eof:
        raise ValueError("the compressed response body is truncated")
    return out
