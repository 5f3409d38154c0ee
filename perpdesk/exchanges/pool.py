"""One connector and one Fast Connect client per exchange, shared by every use case (keep-alive
connections, clock offset and rate limits are per connector), closed once at shutdown."""

from __future__ import annotations

from collections.abc import Mapping

from perpdesk.exchanges.base import FastConnectProvider, FuturesConnector
from perpdesk.exchanges.registry import Egress, Endpoints, entry


class ConnectorPool:
    def __init__(self, endpoints: Mapping[str, Endpoints], egress: Egress) -> None:
        self._endpoints = dict(endpoints)
        self._egress = egress
        self._connectors: dict[str, FuturesConnector] = {}
        self._fast: dict[str, FastConnectProvider | None] = {}

    def _where(self, exchange: str) -> Endpoints:
        found = entry(exchange)  # an unknown exchange is refused with a clear InputError
        ep = self._endpoints.get(exchange)
        if ep is None:
            raise RuntimeError(f"{found.info.name} has no endpoints configured")
        return ep

    def connector(self, exchange: str) -> FuturesConnector:
        conn = self._connectors.get(exchange)
        if conn is None:
            conn = self._connectors[exchange] = entry(exchange).connector(self._where(exchange), self._egress)
        return conn

    def fast_connect(self, exchange: str) -> FastConnectProvider | None:
        """The exchange's Fast Connect client, or None when it has none or we are not registered."""
        if exchange not in self._fast:
            factory = entry(exchange).fast_connect
            ep = self._where(exchange)
            self._fast[exchange] = (
                factory(ep, self._egress) if factory is not None and ep.fast_connect_registered else None
            )
        return self._fast[exchange]

    async def aclose(self) -> None:
        for conn in self._connectors.values():
            await conn.aclose()
        for fc in self._fast.values():
            if fc is not None:
                await fc.aclose()
        self._connectors.clear()
        self._fast.clear()
