"""Everything live in one process, built from settings: bus, market hub, supervisor, query.

The composition root builds one `LiveRuntime` per process, starts it after migrations and closes
it before the connectors. Web processes that do not own mirrors (a later deployment) would build
only the bus (a broker client) and the query over it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from perpdesk.exchanges.base import FuturesConnector
from perpdesk.exchanges.registry import Venue
from perpdesk.live.bus import EventBus, InProcessBus
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.ownership import InProcessOwnership, Ownership
from perpdesk.live.query import LiveQuery
from perpdesk.live.supervisor import AccountSource, LiveSupervisor
from perpdesk.settings import Settings


@dataclass
class LiveRuntime:
    bus: EventBus
    hub: MarketHub
    supervisor: LiveSupervisor
    query: LiveQuery
    settings: Settings

    def start(self) -> None:
        self.supervisor.start()

    async def aclose(self) -> None:
        await self.supervisor.aclose()
        await self.hub.aclose()
        closer = getattr(self.supervisor.ownership, "aclose", None)
        if closer is not None:
            await closer()


def build_live(settings: Settings, source: AccountSource, connector_for: Callable[[Venue], FuturesConnector],
               market_connector: Callable[[str], FuturesConnector], *,
               ownership: Ownership | None = None) -> LiveRuntime:
    """Mirrors use each account's own venue (`connector_for`); the shared market data comes from
    each exchange's configured venue (`market_connector`)."""
    bus = InProcessBus(default_maxsize=settings.live_subscriber_queue)
    hub = MarketHub(market_connector, bus)
    supervisor = LiveSupervisor(source, connector_for, bus, hub, ownership or InProcessOwnership(),
                                scan_interval_s=settings.live_scan_interval_s,
                                reconcile_interval_s=settings.live_reconcile_interval_s,
                                watched_plans_s=settings.live_watched_plans_s)
    return LiveRuntime(bus, hub, supervisor, LiveQuery(supervisor), settings)
