"""Everything live in one process, built from settings: bus, market hub, supervisor, query.

The composition root builds one `LiveRuntime` per process, starts it after migrations and closes
it before the connectors. By role (see docs/deploy.md):
- "all" (`perpdesk serve`): the in-process bus; this process owns every active account.
- "worker" (`perpdesk worker`): mirrors of the accounts it holds through PostgreSQL leases; their
  events cross to the web processes over PostgreSQL LISTEN/NOTIFY (pg_bus.py, relay.py).
- "web" (`perpdesk serve --web-only`): no mirrors; the views the workers publish (relay.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from perpdesk.exchanges.base import FuturesConnector
from perpdesk.exchanges.registry import Venue
from perpdesk.live.bus import EventBus, InProcessBus
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.ownership import InProcessOwnership, Ownership
from perpdesk.live.query import LiveQuery
from perpdesk.live.relay import KICK, ControlResponder, RemoteControl, RemoteViews, wire_view
from perpdesk.live.supervisor import AccountSource, LiveSupervisor
from perpdesk.metrics import METRICS
from perpdesk.settings import Settings

Role = Literal["all", "worker", "web"]
HELD_SCANS = 3  # a view no worker has said it holds for this many scans shows as disconnected


@dataclass
class LiveRuntime:
    bus: EventBus
    hub: MarketHub
    supervisor: LiveSupervisor | RemoteControl
    query: LiveQuery
    settings: Settings
    role: Role = "all"
    control: ControlResponder | None = field(default=None)

    def start(self) -> None:
        starter = getattr(self.bus, "start", None)
        if starter is not None:
            starter()
        if isinstance(self.query, RemoteViews):
            self.query.start(self.bus)
        if self.control is not None:
            self.control.start()
        self.supervisor.start()
        self._register_metrics()

    async def aclose(self) -> None:
        if self.control is not None:
            await self.control.aclose()
        await self.supervisor.aclose()
        await self.hub.aclose()
        closer = getattr(self.supervisor.ownership, "aclose", None)
        if closer is not None:
            await closer()
        bus_closer = getattr(self.bus, "aclose", None)
        if bus_closer is not None:
            await bus_closer()

    def _register_metrics(self) -> None:
        supervisor = self.supervisor
        now_ms = lambda: time.time() * 1000  # noqa: E731

        # from each mirror's freshness and snapshot time: building every whole view at each scrape
        # cost a worker of thousands of accounts a fifth of its CPU
        def mirrors() -> list[tuple[dict[str, str], float]]:
            running = list(supervisor.mirrors.values())
            fresh = sum(1 for m in running if m.fresh())
            return [({"state": "fresh"}, fresh), ({"state": "not_fresh"}, len(running) - fresh)]

        def lag() -> list[tuple[dict[str, str], float]]:
            snaps = [m.state.snapshot_at_ms for m in list(supervisor.mirrors.values())]
            return [({}, max((now_ms() - s) / 1000 for s in snaps) if snaps else 0.0)]

        depth = getattr(self.bus, "queue_depth", lambda: 0)
        METRICS.gauge("perpdesk_mirrors", "Account mirrors this process runs, fresh or not.", mirrors)
        if isinstance(supervisor, LiveSupervisor):  # a web-only process owns nothing
            self._register_ownership_metrics(supervisor.ownership)
        METRICS.gauge("perpdesk_mirror_lag_seconds",
                      "The longest time since a mirror last read its account in full.", lag)
        METRICS.gauge("perpdesk_broker_queue_depth", "Events waiting to be sent to the broker.",
                      lambda: [({}, float(depth()))])
        METRICS.gauge("perpdesk_subscribers", "Subscribers of this process's bus (pages, jobs).",
                      lambda: [({}, float(self.bus.subscriber_count()))])

    @staticmethod
    def _register_ownership_metrics(ownership: Ownership) -> None:
        METRICS.gauge("perpdesk_live_members", "Processes sharing the accounts as this one saw them at its "
                      "last scan (labelled with its own owner id).",
                      lambda: [({"owner": ownership.owner_id}, float(len(ownership.members)))])
        METRICS.gauge("perpdesk_live_handover_waiting", "Accounts this process won whose previous owner "
                      "has not released them yet.", lambda: [({}, float(ownership.waiting))])


def build_live(settings: Settings, source: AccountSource, connector_for: Callable[[Venue], FuturesConnector],
               market_connector: Callable[[str], FuturesConnector], *,
               ownership: Ownership | None = None, role: Role = "all") -> LiveRuntime:
    """Mirrors use each account's own venue (`connector_for`); the shared market data comes from
    each exchange's configured venue (`market_connector`)."""
    if role == "web":
        from perpdesk.live.pg_bus import PgNotifyBus

        views = RemoteViews(held_for_s=HELD_SCANS * settings.live_scan_interval_s)
        web_bus = PgNotifyBus(settings.database_url, default_maxsize=settings.live_subscriber_queue,
                              incoming=views.incoming, announce_watched_s=settings.live_scan_interval_s)
        control = RemoteControl(web_bus, (ownership or InProcessOwnership()).owner_id)
        return LiveRuntime(web_bus, MarketHub(market_connector, web_bus), control, views, settings, role)
    bus: EventBus
    worker_bus = None
    if role == "worker":
        from perpdesk.live.pg_bus import PgNotifyBus

        bus = worker_bus = PgNotifyBus(settings.database_url, default_maxsize=settings.live_subscriber_queue)
    else:
        bus = InProcessBus(default_maxsize=settings.live_subscriber_queue)
    hub = MarketHub(market_connector, bus)
    supervisor = LiveSupervisor(source, connector_for, bus, hub, ownership or InProcessOwnership(),
                                scan_interval_s=settings.live_scan_interval_s,
                                reconcile_interval_s=settings.live_reconcile_interval_s,
                                reconcile_idle_max_s=settings.live_reconcile_idle_max_s,
                                watched_plans_s=settings.live_watched_plans_s)
    responder = None
    if worker_bus is not None:
        worker_bus.outgoing = wire_view(supervisor)  # its events carry the whole view
        responder = ControlResponder(supervisor, bus, settings.live_scan_interval_s)
        supervisor.on_handover = lambda: bus.publish(KICK, "kick", {})  # the others scan now
    return LiveRuntime(bus, hub, supervisor, LiveQuery(supervisor), settings, role, responder)
