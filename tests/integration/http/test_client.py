"""The keep-alive HTTP/1.1 transport against real loopback servers: framing, reuse, timeouts,
lost connections, source-address binding, an HTTP proxy (absolute URI) and a CONNECT tunnel to
a TLS origin."""

from __future__ import annotations

import asyncio
import json

import pytest

from perpdesk.http import (
    ConnectFailed,
    ConnectionLost,
    HttpClient,
    HttpRequest,
    Origin,
    RequestTimeout,
)
from tests.integration.http.httpservers import (
    LoopProxy,
    LoopServer,
    Request,
    echo_handler,
    response,
    start_tls_server,
)


def _get(origin: Origin, path: str = "/x", timeout_s: float = 2) -> HttpRequest:
    return HttpRequest("GET", origin, path, timeout_s=timeout_s)


async def test_keep_alive_reuses_one_connection(echo: LoopServer) -> None:
    client = HttpClient()
    origin = Origin.parse(echo.url)
    for i in range(5):
        resp = await client.request(_get(origin, f"/n{i}", 2))
        assert resp.status == 200 and f"/n{i}".encode() in resp.body
    assert echo.connections == 1
    await client.aclose()


async def test_concurrent_requests_get_their_own_connections(echo: LoopServer) -> None:
    client = HttpClient()
    origin = Origin.parse(echo.url)
    results = await asyncio.gather(*(client.request(_get(origin, f"/c{i}", 2)) for i in range(4)))
    assert sorted(json.loads(r.body)["path"] for r in results) == [f"/c{i}" for i in range(4)]
    await client.aclose()


async def test_chunked_and_close_delimited_bodies() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> bool:
        if req.target == "/chunked":
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            await writer.drain()
            return True
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
        await writer.drain()
        return False

    server = await LoopServer(handler).start()
    client = HttpClient()
    origin = Origin.parse(server.url)
    assert (await client.request(_get(origin, "/chunked", 2))).body == b"hello world"
    assert (await client.request(_get(origin, "/chunked", 2))).body == b"hello world"
    assert server.connections == 1
    assert (await client.request(_get(origin, "/close", 2))).body == b"until the end"
    assert (await client.request(_get(origin, "/chunked", 2))).body == b"hello world"
    assert server.connections == 2  # the closed connection was not reused
    await client.aclose()
    await server.stop()


async def test_timeout_and_drop_say_the_request_may_have_been_sent() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> bool:
        if req.target == "/slow":
            await asyncio.sleep(1)
        return False  # drop without answering

    server = await LoopServer(handler).start()
    client = HttpClient()
    origin = Origin.parse(server.url)
    with pytest.raises(RequestTimeout) as slow:
        await client.request(_get(origin, "/slow", 0.2))
    assert slow.value.maybe_sent
    with pytest.raises(ConnectionLost) as lost:
        await client.request(_get(origin, "/drop", 2))
    assert lost.value.maybe_sent
    await client.aclose()
    await server.stop()


async def test_refused_connection_was_never_sent() -> None:
    client = HttpClient()
    server = await LoopServer(echo_handler).start()
    origin = Origin.parse(server.url)
    await server.stop()
    await asyncio.sleep(0.05)
    with pytest.raises(ConnectFailed) as failed:
        await client.request(_get(origin, timeout_s=1))
    assert failed.value.maybe_sent is False


async def test_idle_connection_closed_by_server_is_replaced() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(response(200, b"{}"))
        await writer.drain()
        return False  # answer then close (server-side idle timeout)

    server = await LoopServer(handler).start()
    client = HttpClient()
    origin = Origin.parse(server.url)
    await client.request(_get(origin, timeout_s=2))
    await asyncio.sleep(0.05)
    assert (await client.request(_get(origin, timeout_s=2))).status == 200
    assert server.connections == 2
    await client.aclose()
    await server.stop()


async def test_source_address_is_what_the_server_sees(echo: LoopServer) -> None:
    client = HttpClient(source_address="127.0.0.2")
    origin = Origin.parse(echo.url)
    resp = await client.request(_get(origin, timeout_s=2))
    assert b'"peer":"127.0.0.2"' in resp.body
    await client.aclose()


async def test_http_proxy_uses_absolute_uri_and_its_egress(echo: LoopServer) -> None:
    proxy = await LoopProxy(egress="127.0.0.3").start()
    client = HttpClient(proxy=proxy.url)
    origin = Origin.parse(echo.url)
    resp = await client.request(_get(origin, "/p", 2))
    assert b'"peer":"127.0.0.3"' in resp.body
    assert proxy.seen == [f"GET {echo.url}/p HTTP/1.1"]
    await client.aclose()
    await proxy.stop()


async def test_https_direct_and_through_a_connect_tunnel() -> None:
    server, client_ctx = await start_tls_server(echo_handler)
    origin = Origin("https", "localhost", server.port)

    direct = HttpClient(ssl_context=client_ctx)
    assert (await direct.request(_get(origin, "/tls", 2))).status == 200
    await direct.aclose()

    proxy = await LoopProxy(egress="127.0.0.4").start()
    tunnelled = HttpClient(proxy=proxy.url, ssl_context=client_ctx)
    for _ in range(2):
        resp = await tunnelled.request(_get(origin, "/tunnel", 2))
        assert b'"peer":"127.0.0.4"' in resp.body
    assert proxy.seen == [f"CONNECT localhost:{server.port} HTTP/1.1"]  # one tunnel, kept alive
    await tunnelled.aclose()
    await proxy.stop()
    await server.stop()


async def test_connection_dropped_after_a_previous_answer_is_not_mistaken_for_one() -> None:
    """httptools keeps the last status code: a drop on a reused connection must still be a loss."""
    count = [0]

    async def handler(req: Request, writer: asyncio.StreamWriter) -> bool:
        count[0] += 1
        if count[0] == 1:
            writer.write(response(200, b"{}"))
            await writer.drain()
            return True
        return False  # second request on the same connection: drop without a byte

    server = await LoopServer(handler).start()
    client = HttpClient()
    origin = Origin.parse(server.url)
    assert (await client.request(_get(origin, timeout_s=2))).status == 200
    with pytest.raises(ConnectionLost):
        await client.request(_get(origin, timeout_s=2))
    assert server.connections == 1
    await client.aclose()
    await server.stop()


async def test_a_burst_is_bounded_to_the_connection_cap(echo: LoopServer) -> None:
    client = HttpClient(max_connections_per_origin=3)
    origin = Origin.parse(echo.url)
    results = await asyncio.gather(*(client.request(_get(origin, f"/b{i}", 2)) for i in range(12)))
    assert all(r.status == 200 for r in results)
    assert echo.connections <= 3
    await client.aclose()


async def test_a_bursts_connections_are_all_kept_for_the_next_burst(echo: LoopServer) -> None:
    """Reconciliations come in bursts: every connection a burst opened (up to the cap) is kept
    idle for the next one. Keeping 64 of 256 made an idle worker reconnect all the time."""
    client = HttpClient()
    origin = Origin.parse(echo.url)
    for burst in range(3):
        results = await asyncio.gather(*(client.request(_get(origin, f"/{burst}/{i}", 2))
                                         for i in range(150)))
        assert all(r.status == 200 for r in results)
        assert echo.connections == 150, burst  # the first burst's, reused by the next ones
    await client.aclose()


async def test_one_watchdog_times_out_each_request_at_its_own_deadline() -> None:
    """The per-client timer: a short timeout after a long one still fires on time, concurrent
    requests each expire at their own deadline, and answered requests are left alone."""

    async def handler(req: Request, writer: asyncio.StreamWriter) -> bool:
        if req.target.startswith("/slow"):
            await asyncio.sleep(1.5)
            return False
        writer.write(response(200, b"{}"))
        await writer.drain()
        return True

    server = await LoopServer(handler).start()
    client = HttpClient()
    origin = Origin.parse(server.url)
    loop = asyncio.get_running_loop()
    long = asyncio.ensure_future(client.request(_get(origin, "/slow-long", 5)))
    await asyncio.sleep(0.05)  # the watchdog is now set for the 5 s deadline
    started = loop.time()
    with pytest.raises(RequestTimeout):
        await client.request(_get(origin, "/slow-short", 0.2))
    assert 0.15 <= loop.time() - started < 0.6  # re-armed for the earlier deadline

    started = loop.time()
    outcomes = await asyncio.gather(
        client.request(_get(origin, "/slow-a", 0.2)),
        client.request(_get(origin, "/slow-b", 0.4)),
        client.request(_get(origin, "/fast", 0.3)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], RequestTimeout) and isinstance(outcomes[1], RequestTimeout)
    assert not isinstance(outcomes[2], BaseException) and outcomes[2].status == 200
    assert 0.35 <= loop.time() - started < 0.9  # the later one waited for its own deadline
    long.cancel()
    with pytest.raises(asyncio.CancelledError):
        await long
    assert not client._deadlines  # nothing left behind for the watchdog
    await client.aclose()
    await server.stop()


def test_the_watchdog_follows_the_client_to_a_new_event_loop() -> None:
    """A client used under one asyncio.run and then another still times requests out, even when
    the first loop ended with the watchdog set for an earlier deadline."""

    async def hang(req: Request, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(2)
        return False

    async def first(client: HttpClient) -> None:
        server = await LoopServer(hang).start()
        origin = Origin.parse(server.url)
        pending = asyncio.ensure_future(client.request(_get(origin, timeout_s=0.3)))
        await asyncio.sleep(0.05)
        pending.cancel()  # the watchdog stays set on this loop, which then ends
        with pytest.raises(asyncio.CancelledError):
            await pending
        await server.stop()

    async def second(client: HttpClient) -> None:
        server = await LoopServer(hang).start()
        origin = Origin.parse(server.url)
        with pytest.raises(RequestTimeout):  # its deadline is after the old loop's watchdog
            await asyncio.wait_for(client.request(_get(origin, timeout_s=0.8)), 3)
        await server.stop()

    client = HttpClient()
    asyncio.run(first(client))
    asyncio.run(second(client))
