"""The HTTP client at its edges, against real loopback servers: a proxy that wants credentials
(407), a certificate that does not verify, IPv6 loopback, repeated headers, and bodies too large
on the wire or once inflated (a gzip bomb)."""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
from collections.abc import AsyncIterator

import pytest

from perpdesk.http import (
    BodyTooLarge,
    HttpClient,
    HttpRequest,
    Origin,
    ProxyAuthRequired,
    TlsVerificationFailed,
)
from tests.integration.http.httpservers import (
    LoopProxy,
    LoopServer,
    Request,
    echo_handler,
    response,
    start_tls_server,
)

PASSWORD = "pr0xy-Secret"


@pytest.fixture
async def guarded_proxy() -> AsyncIterator[LoopProxy]:
    proxy = await LoopProxy(credentials=("egress", PASSWORD)).start()
    yield proxy
    await proxy.stop()


def _with_credentials(proxy: LoopProxy, password: str) -> str:
    return f"http://egress:{password}@127.0.0.1:{proxy.port}"


async def test_a_proxy_asking_for_credentials_is_a_typed_refusal_without_the_password(
    echo: LoopServer, guarded_proxy: LoopProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tls_server, ctx = await start_tls_server(echo_handler)
    refusals = []
    try:
        for proxy_url in (guarded_proxy.url, _with_credentials(guarded_proxy, "wrong-" + PASSWORD)):
            client = HttpClient(proxy=proxy_url, ssl_context=ctx)
            for url in (echo.url + "/plain", f"https://localhost:{tls_server.port}/tunnel"):
                with pytest.raises(ProxyAuthRequired, match="407") as refused:
                    await client.request(HttpRequest.to("GET", url, timeout_s=2))
                assert not refused.value.maybe_sent
                refusals.append(str(refused.value))
            await client.aclose()
    finally:
        await tls_server.stop()
    assert guarded_proxy.refused == 4 and not echo.requests and not tls_server.requests
    assert all("http://user:password@host:port" in message for message in refusals)
    assert PASSWORD not in " ".join(refusals) + caplog.text


async def test_credentials_from_the_proxy_url_get_through_forwarding_and_tunnels(
    echo: LoopServer, guarded_proxy: LoopProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tls_server, ctx = await start_tls_server(echo_handler)
    client = HttpClient(proxy=_with_credentials(guarded_proxy, PASSWORD), ssl_context=ctx)
    try:
        plain = await client.request(HttpRequest.to("GET", echo.url + "/plain", timeout_s=2))
        tunnelled = await client.request(HttpRequest.to("GET", f"https://localhost:{tls_server.port}/t",
                                                        timeout_s=2))
    finally:
        await client.aclose()
        await tls_server.stop()
    assert plain.status == 200 and tunnelled.status == 200
    assert guarded_proxy.refused == 0 and len(guarded_proxy.seen) == 2
    assert PASSWORD not in caplog.text


async def test_a_certificate_that_does_not_verify_is_refused_before_anything_is_sent() -> None:
    server, _trusting = await start_tls_server(echo_handler)
    proxy = await LoopProxy().start()
    url = f"https://localhost:{server.port}/orders"
    try:
        for client in (HttpClient(), HttpClient(proxy=proxy.url)):  # the system's CAs only
            with pytest.raises(TlsVerificationFailed, match="TLS verification of https://localhost") as bad:
                await client.request(HttpRequest.to("POST", url, body=b"{}", timeout_s=2))
            assert not bad.value.maybe_sent
            await client.aclose()
    finally:
        await proxy.stop()
        await server.stop()
    assert server.requests == []


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
async def test_ipv6_loopback() -> None:
    server = await LoopServer(echo_handler, host="::1").start()
    client = HttpClient()
    try:
        for _ in range(2):
            resp = await client.request(HttpRequest.to("GET", server.url + "/six", timeout_s=2))
            assert resp.status == 200
            assert resp.body == f'{{"path":"/six","host":"[::1]:{server.port}","peer":"::1"}}'.encode()
    finally:
        await client.aclose()
        await server.stop()
    assert server.url.startswith("http://[::1]:") and server.connections == 1


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
async def test_ipv6_over_tls_direct_and_through_a_connect_tunnel() -> None:
    server, ctx = await start_tls_server(echo_handler, host="::1")
    proxy = await LoopProxy(egress="::1").start()
    url = f"https://[::1]:{server.port}/six"
    try:
        for client in (HttpClient(ssl_context=ctx), HttpClient(proxy=proxy.url, ssl_context=ctx)):
            resp = await client.request(HttpRequest.to("GET", url, timeout_s=2))
            assert resp.body == f'{{"path":"/six","host":"[::1]:{server.port}","peer":"::1"}}'.encode()
            await client.aclose()
    finally:
        await proxy.stop()
        await server.stop()
    assert proxy.seen == [f"CONNECT [::1]:{server.port} HTTP/1.1"]


async def test_repeated_headers_are_all_kept() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> bool:
        extra = "Set-Cookie: a=1\r\nX-Trace: one\r\nset-cookie: b=2\r\nX-Trace: two\r\n"
        writer.write(response(200, b"{}", extra))
        await writer.drain()
        return True

    server = await LoopServer(handler).start()
    client = HttpClient()
    try:
        headers = (await client.request(HttpRequest.to("GET", server.url, timeout_s=2))).headers
    finally:
        await client.aclose()
        await server.stop()
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert headers.get_all("x-trace") == ["one", "two"] and headers["x-trace"] == "two"
    assert headers.get_all("x-missing") == [] and headers.get("content-length") == "2"


BOMB = gzip.compress(b"\0" * (4 * 1024 * 1024), 9)  # ~4 KiB that inflate to 4 MiB


async def _bodies(req: Request, writer: asyncio.StreamWriter) -> bool:
    if req.target == "/bomb":
        writer.write(response(200, BOMB, "Content-Encoding: gzip\r\n"))
    elif req.target == "/big":
        writer.write(response(200, b"x" * 50_000))
    elif req.target == "/big-chunked":  # no length announced: the cap counts as bytes arrive
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(20):
            writer.write(b"1000\r\n" + b"y" * 0x1000 + b"\r\n")
        writer.write(b"0\r\n\r\n")
    else:
        writer.write(response(200, b"x" * 1000))
    await writer.drain()
    return True


async def test_bodies_are_capped_on_the_wire_and_once_inflated() -> None:
    server = await LoopServer(_bodies).start()
    client = HttpClient(max_raw_body=20_000, max_decoded_body=1024 * 1024)
    try:
        for path, words in (("/bomb", "inflates beyond 1048576 bytes"),
                            ("/big", "passes 20000 bytes on the wire"),
                            ("/big-chunked", "passes 20000 bytes on the wire")):
            with pytest.raises(BodyTooLarge, match=words) as too_large:
                await client.request(HttpRequest.to("GET", server.url + path, timeout_s=2))
            assert too_large.value.maybe_sent
        ok = await client.request(HttpRequest.to("GET", server.url + "/small", timeout_s=2))
        assert ok.body == b"x" * 1000
    finally:
        await client.aclose()
        await server.stop()
    assert server.connections == 4  # a connection that overflowed is never reused


async def test_a_line_break_in_a_header_or_target_is_refused_before_sending(echo: LoopServer) -> None:
    client = HttpClient()
    origin = Origin.parse(echo.url)
    bad = (HttpRequest("GET", origin, "/x", [("X-BM-KEY", "key\r\nX-Injected: 1")]),
           HttpRequest("GET", origin, "/x", [("X-A", "bare\nfeed")]),
           HttpRequest("GET", origin, "/x HTTP/1.1\r\nX-Injected: 1\r\nX-B: b"))
    try:
        for req in bad:
            with pytest.raises(ValueError, match="holds a line break") as refused:
                await client.request(req)
            assert "Injected" not in str(refused.value)
        assert (await client.request(HttpRequest("GET", origin, "/x", [("X-A", "fine")]))).status == 200
    finally:
        await client.aclose()
    assert [r.target for r in echo.requests] == ["/x"]
