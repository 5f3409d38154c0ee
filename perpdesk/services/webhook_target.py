"""Where outgoing webhooks may go: not, by default, to this host or its private networks
(server-side request forgery: a webhook URL must not reach the platform's own services, the
cloud metadata endpoint or the LAN behind it).

The check runs twice: when the URL is saved (a clear error on the field) and on every connection
a delivery opens. At send time the host is resolved asynchronously, every address it resolves to
is checked, and the connection goes to an address that was checked, so a DNS answer that changes
between the check and the connect (rebinding) cannot slip through. A redirect opens a new
connection and is checked the same way. `PERPDESK_WEBHOOK_ALLOW_PRIVATE=true` lifts the rule (the
demo and the tests post to a receiver on loopback).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import typing
from collections.abc import Awaitable, Callable

import httpcore
import httpx

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
RESOLVE_TIMEOUT_S = 5.0
ALLOW_SETTING = "PERPDESK_WEBHOOK_ALLOW_PRIVATE"


class TargetRefused(Exception):
    """The webhook's host is (or resolves to) an address webhooks may not reach."""

    def __init__(self, host: str, address: str, why: str) -> None:
        super().__init__(f"{host} resolves to {address}, {why}")
        self.host, self.address, self.why = host, address, why


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: a site's own translator
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible ::a.b.c.d


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, compatible, 6to4, NAT64), which is where a
    translating network would deliver it."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _COMPATIBLE and int(ip) > 1):  # ::1 and :: are themselves
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(ip: IpAddress) -> str | None:
    """Why webhooks may not go to `ip` (None: a public address)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return "a local NAT64 address (a private network)"
        inner = embedded_ipv4(ip)
        if inner is not None:
            why = refusal(inner)
            return f"{why}, inside an IPv6 address" if why else None
    if ip.is_loopback:
        return "a loopback address (this machine)"
    if ip.is_unspecified:
        return "the unspecified address (this machine)"
    if ip.is_link_local:
        return "a link-local address (e.g. the cloud metadata endpoint)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved or not ip.is_global:
        return "a reserved, non-public address"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, without blocking the event loop."""
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]).split("%", 1)[0], None)
    return list(seen)


async def checked_addresses(host: str, port: int, *, resolver: Resolver = resolve,
                            refuse: Callable[[IpAddress], str | None] = refusal) -> list[str]:
    """The addresses of `host`, all allowed; TargetRefused names the first that is not."""
    addresses = await resolver(host, port)
    if not addresses:
        raise OSError(f"{host} did not resolve to any address")
    for address in addresses:
        why = refuse(ipaddress.ip_address(address))
        if why is not None:
            raise TargetRefused(host, address, why)
    return addresses


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks the host itself, then connects to a checked address (TLS still
    verifies the certificate against the URL's host name: httpcore sends that as SNI)."""

    def __init__(self, resolver: Resolver, refuse: Callable[[IpAddress], str | None]) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolver, self._refuse = resolver, refuse

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109
                          local_address: str | None = None,
                          socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await checked_addresses(host, port, resolver=self._resolver, refuse=self._refuse)
        except (OSError, TimeoutError, UnicodeError, ValueError) as exc:  # httpx: a ConnectError
            raise httpcore.ConnectError(f"{host} did not resolve ({type(exc).__name__})") from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout=timeout,
                                                     local_address=local_address,
                                                     socket_options=socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, path: str, timeout: float | None = None,  # noqa: ASYNC109
                                  socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused(path, path, "a local socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport over a connection pool whose every connection is checked."""

    def __init__(self, *, resolver: Resolver = resolve,
                 refuse: Callable[[IpAddress], str | None] = refusal) -> None:
        super().__init__(trust_env=False)
        # the same pool httpx builds, with the guarded network backend (httpx takes no backend)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(), network_backend=_GuardedBackend(resolver, refuse))


MAX_REDIRECTS = 3


def webhook_client(*, allow_private: bool, timeout_s: float) -> httpx.AsyncClient:
    """The client deliveries go through: guarded unless private targets are allowed. Redirects
    are followed (a few), each to a checked address; 307/308 keep the POST and its body."""
    transport = None if allow_private else GuardedTransport()
    return httpx.AsyncClient(timeout=timeout_s, transport=transport, trust_env=False,
                             follow_redirects=True, max_redirects=MAX_REDIRECTS)


async def check_saved_url(host: str, port: int, *, allow_private: bool,
                          resolver: Resolver = resolve) -> TargetRefused | None:
    """At save time: the refusal, if the host is or resolves to a forbidden address. A host that
    does not resolve now is accepted (it may later); every delivery checks again."""
    if allow_private:
        return None
    try:
        await checked_addresses(host, port, resolver=resolver)
    except TargetRefused as exc:
        return exc
    except (OSError, TimeoutError, UnicodeError, ValueError):  # no such host (yet), or not a host name
        return None
    return None
