"""Binance's user data stream on a listen key: REST resync after every (re)connection, then
ACCOUNT_UPDATE / ORDER_TRADE_UPDATE / ALGO_UPDATE as the platform's stream events.

Each connection starts a listen key (POST /fapi/v1/listenKey, the API key only) and opens
`<ws>/ws/<listenKey>`; the key is kept alive (PUT) every `keepalive_s` (Binance: 60 minutes
without one ends it; 30 minutes by default here). `listenKeyExpired`, or a keepalive Binance
refuses (-1125), ends the connection: a new key is started and the stream reconnects, and the
REST snapshot that follows covers whatever happened in between. A drop is reported at once as a
'disconnected' event. With a credentials opener, the secret is opened for each (re)connection
and dropped once the snapshot is read; only the API key (not secret) stays for the keepalives.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import TYPE_CHECKING, Protocol

from websockets.asyncio.client import ClientConnection

from perpdesk.core.errors import ExchangeError, ExchangeUnavailable, RateLimited
from perpdesk.core.models import Credentials, StreamEvent
from perpdesk.exchanges.binance import stream_events
from perpdesk.exchanges.common.account_stream import (
    SnapshotReads,
    disconnected,
    loads_object,
    open_creds,
    resync,
)
from perpdesk.exchanges.common.egress import SourceAddresses
from perpdesk.exchanges.common.ws_link import DROPS, open_ws, reconnecting

if TYPE_CHECKING:
    from perpdesk.exchanges.base import CredentialsOpener
    from perpdesk.exchanges.binance.rest import BinanceRest

LISTEN_KEY = "/fapi/v1/listenKey"
_DROPS: tuple[type[BaseException], ...] = (*DROPS, ExchangeUnavailable, RateLimited)


class ListenKeyLost(ConnectionError):
    """Binance no longer knows the listen key (expired or refused keepalive): start a new one."""


class StreamAccount(SnapshotReads, Protocol):
    """What the stream needs of its connector: where to connect, the REST client (listen keys)
    and the three reads of a resync."""

    @property
    def ws_url(self) -> str | None: ...
    @property
    def proxy(self) -> str | None: ...
    @property
    def source_address(self) -> str | None: ...
    @property
    def ws_sources(self) -> SourceAddresses | None: ...
    @property
    def rest(self) -> BinanceRest: ...


def ws_base(ws_url: str) -> str:
    base = ws_url.split("?", 1)[0].rstrip("/")
    for suffix in ("/ws", "/stream"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base


class UserStream:
    def __init__(
        self,
        conn: StreamAccount,
        creds: Credentials | CredentialsOpener,
        symbols: Sequence[str] = (),
        *,
        keepalive_s: float = 30 * 60,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 30.0,
        open_timeout_s: float = 10.0,
    ) -> None:
        assert conn.ws_url
        self.conn = conn
        self._creds_source = creds
        self.symbols = set(symbols)
        self.base = ws_base(conn.ws_url)
        self.keepalive_s = keepalive_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.open_timeout_s = open_timeout_s
        self.key_only: Credentials | None = None
        self._opened: Credentials | None = None  # only between connecting and the snapshot
        self.listen_key: str | None = None
        self.connections = 0
        self.keepalives = 0

    def events(self) -> AsyncIterator[StreamEvent]:
        return reconnecting(
            self._connect,
            self._session,
            disconnected,
            drops=(*_DROPS, ListenKeyLost),
            backoff_initial_s=self.backoff_initial_s,
            backoff_max_s=self.backoff_max_s,
        )

    @contextlib.asynccontextmanager
    async def _connect(self) -> AsyncIterator[ClientConnection]:
        self._opened = await open_creds(self._creds_source)  # handed to the session, which drops it
        self.key_only = Credentials(self._opened.api_key, "")
        data = await self.conn.rest.call("POST", LISTEN_KEY, None, self.key_only, signed=False)
        self.listen_key = str(data["listenKey"])
        async with open_ws(
            f"{self.base}/ws/{self.listen_key}",
            open_timeout_s=self.open_timeout_s,
            proxy=self.conn.proxy,
            source_address=self.conn.source_address,
            sources=self.conn.ws_sources,
            compress=False,
        ) as ws:
            yield ws

    async def _session(self, ws: ClientConnection) -> AsyncGenerator[StreamEvent, None]:
        creds, self._opened = self._opened, None
        assert creds is not None
        try:
            snapshot = await resync(self.conn, creds, self.symbols)
        finally:
            del creds  # the secret is not kept past the snapshot
        self.connections += 1
        # kept alive from now on, whether or not the consumer is reading
        keepalive = asyncio.create_task(self._keep_alive(ws))
        try:
            yield snapshot
            async for raw in ws:
                msg = loads_object(raw)
                if msg.get("e") == "listenKeyExpired":
                    raise ListenKeyLost("the listen key expired")
                for event in stream_events.events(msg, self.symbols):
                    yield event
        finally:
            keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keepalive

    async def _keep_alive(self, ws: ClientConnection) -> None:
        assert self.key_only is not None
        while True:
            await asyncio.sleep(self.keepalive_s)
            try:
                await self.conn.rest.call("PUT", LISTEN_KEY, None, self.key_only, signed=False)
                self.keepalives += 1
            except (ExchangeUnavailable, RateLimited):
                continue  # passing trouble: the key lives 60 minutes, the next one may pass
            except ExchangeError:
                await ws.close(code=1000, reason="listen key lost")  # a new key on reconnection
                return
