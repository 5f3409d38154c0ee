"""The HTTP client the exchange connectors share: the one-method `Transport` seam, the keep-alive
`HttpClient` that implements it, and `InMemoryTransport` for unit tests."""

from perpdesk.http.client import HttpClient
from perpdesk.http.message import (
    BodyTooLarge,
    ConnectFailed,
    ConnectionLost,
    Headers,
    HttpRequest,
    HttpResponse,
    Origin,
    ProxyAuthRequired,
    RequestTimeout,
    TlsVerificationFailed,
    TransportError,
)
from perpdesk.http.transport import InMemoryTransport, Transport

__all__ = [
    "BodyTooLarge",
    "ConnectFailed",
    "ConnectionLost",
    "Headers",
    "HttpClient",
    "HttpRequest",
    "HttpResponse",
    "InMemoryTransport",
    "Origin",
    "ProxyAuthRequired",
    "RequestTimeout",
    "TlsVerificationFailed",
    "Transport",
    "TransportError",
]
