"""Connectors keyed by venue (exchange + URLs), shared by every use case (keep-alive connections,
clock offset and rate limits are per connector), closed once at shutdown; one Fast Connect client
per exchange, at its configured URLs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from perpdesk.exchanges.base import FastConnectProvider, FuturesConnector
from perpdesk.exchanges.registry import Egress, Endpoints, Venue, entry


class ConnectorPool:
    def __init__(self, endpoints: Mapping[str, Endpoints], egress: Egress) -> None:
        self._endpoints = dict(endpoints)
        self._egress = egress
        self._connectors: dict[Venue, FuturesConnector] = {}
        self._fast: dict[str, FastConnectProvider | None] = {}

    def _where(self, exchange: str) -> Endpoints:
        found = entry(exchange)  # an unknown exchange is refused with a clear InputError
        ep = self._endpoints.get(exchange)
        if ep is None:
            raise RuntimeError(f"{found.info.name} has no endpoints configured")
        return ep

    def configured(self) -> list[str]:
        """The exchanges this platform has endpoints for."""
        return sorted(self._endpoints)

    def venue(self, exchange: str) -> Venue:
        """The configured venue of `exchange`: where new accounts connect and public data is read."""
        ep = self._where(exchange)
        return Venue(exchange, ep.api_url, ep.ws_url)

    def connector(self, venue: Venue) -> FuturesConnector:
        """The connector of a venue (an account's stored one): its URLs, this platform's timings."""
        conn = self._connectors.get(venue)
        if conn is None:
            ep = dataclasses.replace(self._where(venue.exchange), api_url=venue.api_url, ws_url=venue.ws_url)
            conn = self._connectors[venue] = entry(venue.exchange).connector(ep, self._egress)
        return conn

    def market_connector(self, exchange: str) -> FuturesConnector:
        """The configured venue's connector, for public market data shared by every account."""
        return self.connector(self.venue(exchange))

    def fast_connect(self, exchange: str) -> FastConnectProvider | None:
        """The exchange's Fast Connect client, or None when it has none (Binance), we have no
        endpoints for it or are not registered with it. An unknown exchange is an InputError."""
        if exchange not in self._fast:
            factory = entry(exchange).fast_connect
            ep = self._endpoints.get(exchange)
            if factory is not None and ep is not None and ep.fast_connect_registered:
                self._fast[exchange] = factory(ep, self._egress)
            else:
                self._fast[exchange] = None
        return self._fast[exchange]

    async def aclose(self) -> None:
        for conn in self._connectors.values():
            await conn.aclose()
        for fc in self._fast.values():
            if fc is not None:
                await fc.aclose()
        self._connectors.clear()
        self._fast.clear()
