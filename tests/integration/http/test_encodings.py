"""The transport as a library: compressed answers (gzip, deflate, chunked + gzip), `Connection:
close` on a framed answer, `HttpRequest.to()` building requests over TLS through a real CONNECT proxy, and
the Fast Connect client on the same stack (Basic auth, form body, the proxy as its egress)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import zlib
from urllib.parse import parse_qs, unquote

import pytest

from perpdesk.exchanges.bitmart.fast_connect import BitmartFastConnect, FastConnectFailed
from perpdesk.http import ConnectionLost, HttpClient, HttpRequest
from tests.integration.http.httpservers import LoopProxy, LoopServer, Request, start_tls_server

TEXT = b'{"data":"' + b"perpdesk " * 400 + b'"}'


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def _chunked(data: bytes, size: int = 700) -> bytes:
    parts = [data[i:i + size] for i in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


ANSWERS = {
    "/gzip": ("gzip", gzip.compress(TEXT)),
    "/deflate": ("deflate", zlib.compress(TEXT)),
    "/raw-deflate": ("deflate", _raw_deflate(TEXT)),
    "/identity": ("identity", TEXT),
    "/corrupt": ("gzip", gzip.compress(TEXT)[:40] + b"garbage"),
    "/brotli": ("br", b"\x1b\x00"),
}


async def _encoded(req: Request, writer: asyncio.StreamWriter) -> bool:
    if req.target == "/chunked-gzip":
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + _chunked(gzip.compress(TEXT)))
    else:
        coding, body = ANSWERS[req.target]
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: {len(body)}\r\n\r\n"
                     .encode() + body)
    await writer.drain()
    return True


async def test_compressed_answers_are_decoded_and_bad_ones_refused() -> None:
    server = await LoopServer(_encoded).start()
    client = HttpClient()
    try:
        for path in ("/gzip", "/deflate", "/raw-deflate", "/identity", "/chunked-gzip"):
            resp = await client.request(HttpRequest.to("GET", server.url + path, timeout_s=2))
            assert resp.status == 200 and resp.body == TEXT, path
        assert server.connections == 1  # decoding keeps the connection reusable
        refusals = (("/corrupt", "corrupt|truncated"), ("/brotli", "unsupported Content-Encoding 'br'"))
        for path, words in refusals:
            with pytest.raises(ConnectionLost, match=words) as failed:
                await client.request(HttpRequest.to("GET", server.url + path, timeout_s=2))
            assert failed.value.maybe_sent
        resp = await client.request(HttpRequest.to("GET", server.url + "/gzip", timeout_s=2))
        assert resp.body == TEXT  # a fresh connection after the refused answers
    finally:
        await client.aclose()
        await server.stop()


async def test_connection_close_on_a_framed_answer_is_not_reused() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> bool:
        close = req.target == "/last"
        extra = b"Connection: close\r\n" if close else b""
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + extra + b"\r\nok")
        await writer.drain()
        return not close

    server = await LoopServer(handler).start()
    client = HttpClient()
    try:
        assert (await client.request(HttpRequest.to("GET", server.url + "/a", timeout_s=2))).body == b"ok"
        assert (await client.request(HttpRequest.to("GET", server.url + "/last", timeout_s=2))).body == b"ok"
        assert (await client.request(HttpRequest.to("GET", server.url + "/b", timeout_s=2))).body == b"ok"
        assert server.connections == 2
    finally:
        await client.aclose()
        await server.stop()


async def test_send_over_tls_through_a_connect_proxy() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> bool:
        answer = json.dumps({"method": req.method, "target": req.target, "host": req.headers["host"],
                             "body": req.body.decode(), "peer": req.peer}).encode()
        writer.write(b"HTTP/1.1 201 Created\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + _chunked(gzip.compress(answer), 16))
        await writer.drain()
        return True

    server, client_ctx = await start_tls_server(handler)
    proxy = await LoopProxy(egress="127.0.0.5").start()
    client = HttpClient(proxy=proxy.url, ssl_context=client_ctx)
    url = f"https://localhost:{server.port}/v1/thing?x=1"
    try:
        for body in (b'{"a":1}', b""):
            request = HttpRequest.to("POST", url, headers=[("Content-Type", "application/json")], body=body,
                                     timeout_s=2)
            resp = await client.request(request)
            seen = json.loads(resp.body)
            assert resp.status == 201 and seen == {"method": "POST", "target": "/v1/thing?x=1",
                                                   "host": f"localhost:{server.port}", "body": body.decode(),
                                                   "peer": "127.0.0.5"}
        assert proxy.seen == [f"CONNECT localhost:{server.port} HTTP/1.1"]
    finally:
        await client.aclose()
        await proxy.stop()
        await server.stop()


async def test_fast_connect_client_speaks_oauth_on_the_same_stack() -> None:
    async def token_endpoint(req: Request, writer: asyncio.StreamWriter) -> bool:
        basic = base64.b64decode(req.headers["authorization"].split()[1]).decode()
        user, secret = (unquote(part) for part in basic.split(":"))  # RFC 6749 2.3.1: form-encoded
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        if (user, secret) != ("client id", "s3cret:&") or (req.target == "/token" and form["code"] != "good"):
            body, status = b'{"error":"invalid_grant","error_description":"code used"}', 400
        elif req.target == "/token":
            token = {"api_key": "k1", "secret_key": "s1", "memo": "m1", "permissions": "future_trade",
                     "ip_whitelist": form["code_verifier"][:3]}
            body, status = json.dumps(token).encode(), 200
        else:
            body, status = b"{}", 200 if form == {"api_key": "k1"} else 404
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        return True

    server, client_ctx = await start_tls_server(token_endpoint)
    proxy = await LoopProxy(egress="127.0.0.6").start()
    base = f"https://localhost:{server.port}"
    fc = BitmartFastConnect(base + "/authorize", base + "/token", base + "/revoke", "client id", "s3cret:&",
                            proxy=proxy.url, ssl_context=client_ctx)
    try:
        issued = await fc.redeem(code="good", code_verifier="abcdef", redirect_uri="https://p/cb")
        token_form = parse_qs(server.requests[0].body.decode())
        assert set(token_form) == {"grant_type", "code", "redirect_uri", "code_verifier"}  # the spec's fields
        assert issued.credentials.api_key == "k1" and issued.ip_whitelist == ("abc",)
        with pytest.raises(FastConnectFailed, match="invalid_grant"):
            await fc.redeem(code="bad", code_verifier="abcdef", redirect_uri="https://p/cb")
        await fc.revoke("k1")
        with pytest.raises(FastConnectFailed, match="HTTP 404"):
            await fc.revoke("k2")
        assert {r.peer for r in server.requests} == {"127.0.0.6"}
        assert proxy.seen == [f"CONNECT localhost:{server.port} HTTP/1.1"]  # one kept-alive tunnel
    finally:
        await fc.aclose()
        await proxy.stop()
        await server.stop()
