"""Tiny raw-asyncio HTTP/1.1 servers (plain and TLS, with a certificate made on the spot) and a
forward proxy (absolute URI and CONNECT) on loopback, to test the transport's edges."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import ipaddress
import ssl
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    peer: str


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[bool]]  # returns keep-alive


async def read_request(reader: asyncio.StreamReader, peer: str) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Request(method, target, headers, body, peer)


def response(status: int, body: bytes, extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{extra}\r\n").encode() + body


async def echo_handler(req: Request, writer: asyncio.StreamWriter) -> bool:
    """Answers with what it saw: the target, the Host header and the peer's address."""
    body = f'{{"path":"{req.target}","host":"{req.headers.get("host")}","peer":"{req.peer}"}}'
    writer.write(response(200, body.encode()))
    await writer.drain()
    return True


@dataclass
class LoopServer:
    handler: Handler
    host: str = "127.0.0.1"
    connections: int = 0
    requests: list[Request] = field(default_factory=list)
    server: asyncio.Server | None = None
    port: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> LoopServer:
        self.server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:  # stop() ends handlers that never answer (the timeout tests' servers)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self.connections += 1
        peer = writer.get_extra_info("peername")[0]
        try:
            while True:
                req = await read_request(reader, peer)
                if req is None:
                    break
                self.requests.append(req)
                if not await self.handler(req, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 1)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@dataclass
class LoopProxy:
    """HTTP proxy: absolute-URI forwarding for http, CONNECT tunnels for https; egress from `egress`.
    With `credentials` (user, password) it answers 407 unless Proxy-Authorization carries them."""

    egress: str = "127.0.0.1"
    credentials: tuple[str, str] | None = None
    seen: list[str] = field(default_factory=list)
    refused: int = 0
    port: int = 0
    server: asyncio.Server | None = None

    async def start(self) -> LoopProxy:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        first = head.split(b"\r\n", 1)[0].decode()
        self.seen.append(first)
        method, target, _ = first.split(" ", 2)
        if self.credentials is not None and not self._authorized(head):
            self.refused += 1
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                         b'Proxy-Authenticate: Basic realm="loop"\r\nContent-Length: 0\r\n'
                         b"Connection: close\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            host = host.strip("[]")  # an IPv6 literal
            up_reader, up_writer = await asyncio.open_connection(host, int(port), local_addr=(self.egress, 0))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
        else:
            # absolute URI: connect to its origin and pass the bytes through unchanged (uvicorn and
            # the test servers accept the absolute form)
            rest = target.split("://", 1)[1]
            hostport = rest.split("/", 1)[0]
            host, port = hostport.rsplit(":", 1)
            host = host.strip("[]")
            up_reader, up_writer = await asyncio.open_connection(host, int(port), local_addr=(self.egress, 0))
            up_writer.write(head)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    def _authorized(self, head: bytes) -> bool:
        assert self.credentials is not None
        token = base64.b64encode(":".join(self.credentials).encode()).decode()
        lines = head.decode("latin-1").split("\r\n")
        return any(line.lower().startswith("proxy-authorization:")
                   and line.split(":", 1)[1].strip() == f"Basic {token}" for line in lines)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.IPAddress(ipaddress.ip_address("::1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


async def start_tls_server(handler: Handler, host: str = "127.0.0.1") -> tuple[LoopServer, ssl.SSLContext]:
    """A LoopServer speaking TLS as `localhost` (127.0.0.1 or ::1), and a client context trusting it."""
    cert, key = _self_signed(Path(tempfile.mkdtemp()))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    server = LoopServer(handler, host=host)
    server.server = await asyncio.start_server(server._serve, host, 0, ssl=server_ctx)
    server.port = server.server.sockets[0].getsockname()[1]
    return server, ssl.create_default_context(cafile=str(cert))
