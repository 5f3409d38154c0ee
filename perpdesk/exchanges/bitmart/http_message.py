"""What the HTTP transport speaks in: origins, responses (with their Content-Encoding undone) and
the errors that say whether a request may have reached the server."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_DECODED_BODY = 64 * 1024 * 1024  # a compressed answer may not inflate beyond this


class TransportError(Exception):
    """The exchange could not be reached or did not answer. `maybe_sent`: it may have acted."""

    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class ConnectFailed(TransportError):
    def __init__(self, message: str) -> None:
        super().__init__(message, maybe_sent=False)


class RequestTimeout(TransportError):
    pass


class ConnectionLost(TransportError):
    pass


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


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
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host_header}"


def decode_body(content_encoding: str, body: bytes) -> bytes:
    """Undo the Content-Encoding (gzip, deflate, identity; the last applied first)."""
    for coding in reversed([c.strip().lower() for c in content_encoding.split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, 16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            try:  # RFC 9110: zlib-wrapped; some servers send raw deflate
                body = _inflate(body, zlib.MAX_WBITS)
            except ValueError:
                body = _inflate(body, -zlib.MAX_WBITS)
        elif coding != "identity":
            raise ValueError(f"unsupported Content-Encoding {coding!r} in the response")
    return body


def _inflate(data: bytes, wbits: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, MAX_DECODED_BODY)
    except zlib.error as exc:
        raise ValueError(f"the compressed response body is corrupt: {exc}") from None
    if inflater.unconsumed_tail:
        raise ValueError(f"the response body inflates beyond {MAX_DECODED_BODY} bytes")
    if not inflater.eof:
        raise ValueError("the compressed response body is truncated")
    return out
