"""The public channels: what each followed group gets on a market tick, on subscribe, on request.

The engine signals a market tick of a symbol with its `futures/ticker` event; on it every followed
public group of that symbol is pushed, each payload built once per tick however many groups and
connections share it (`futures/depth20:BTCUSDT`, `...@100ms` and `...@200ms` push the same data:
the sandbox pushes once per engine tick whatever the speed). Trades come as engine events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from perpdesk.sandbox.engine.feeds import ASK, BID, MarketFeeds
from perpdesk.sandbox.web.ws_connection import Connection, Registry
from perpdesk.sandbox.web.ws_protocol import Topic

if TYPE_CHECKING:
    from perpdesk.sandbox.engine import Engine

FUNDING_EVERY_MS = 60_000  # documented: funding rate pushed every minute


class PublicChannels:
    def __init__(self, engine: Engine, registry: Registry) -> None:
        self.engine = engine
        self.registry = registry
        self.feeds = MarketFeeds(engine)
        self._funding_due: dict[str, int] = {}  # symbol -> ms of its next timed fundingRate push

    # ---- engine events -----------------------------------------------------------------------
    def on_event(self, channel: str, data: Any) -> None:
        if channel == "futures/ticker" and isinstance(data, dict):
            symbol = str(data.get("symbol", ""))
            self.registry.publish("futures/ticker", data)
            self.registry.publish(f"futures/ticker:{symbol}", data)
            self.on_tick(symbol)
        elif channel.startswith("futures/trade:"):
            self.registry.publish(channel, data)
        # The engine's own depth20 / klineBin1m events are superseded by the feeds built here.

    def on_tick(self, symbol: str) -> None:
        groups = self.registry.by_symbol.get(symbol)
        if not groups:
            return
        now = self.engine.now()
        built: dict[tuple[str, int, int], Any] = {}
        for group in sorted(groups):
            topic = self.registry.topics[group]
            key = (topic.kind, topic.levels, topic.minutes)
            if key not in built:
                built[key] = self._tick_payloads(topic, now)
            for data in built[key]:
                self.registry.publish(group, data)

    def _tick_payloads(self, topic: Topic, now: int) -> list[Any]:
        feeds, symbol = self.feeds, topic.symbol
        if topic.kind == "depth":
            return [feeds.depth(symbol, topic.levels, BID, now), feeds.depth(symbol, topic.levels, ASK, now)]
        if topic.kind == "depthAll":
            return [feeds.depth_all(symbol, topic.levels, now)]
        if topic.kind == "depthIncrease":
            update = feeds.increase_update(symbol, topic.levels, now)
            return [update] if update is not None else []
        if topic.kind == "bookticker":
            return [feeds.bookticker(symbol, now)]
        if topic.kind in ("kline", "markKline"):
            candle = feeds.kline(symbol, "last" if topic.kind == "kline" else "mark", topic.minutes, now)
            return [candle] if candle is not None else []
        return []  # ticker and trade come as engine events; fundingRate on its own clock

    # ---- subscribe / request / timers ----------------------------------------------------------
    def on_subscribe(self, conn: Connection, topic: Topic) -> None:
        """What a new follower gets at once (documented for fundingRate and depthIncrease)."""
        if topic.kind in ("fundingRate", "depthIncrease"):
            self.request(conn, topic)
        if topic.kind == "fundingRate":
            self._funding_due.setdefault(topic.symbol, self.engine.now() + FUNDING_EVERY_MS)

    def request(self, conn: Connection, topic: Topic) -> None:
        """The `request` action: the current funding rate, or the depthIncrease snapshot."""
        now = self.engine.now()
        if topic.kind == "fundingRate":
            data = self.feeds.funding(topic.symbol, now)
        else:
            data = self.feeds.increase_snapshot(topic.symbol, topic.levels, now)
            if not self._followed(topic, "depthIncrease"):
                # Only followed streams are kept current tick by tick; a later request starts anew.
                self.feeds.drop_increase(topic.symbol, topic.levels)
        conn.send({"group": topic.group, "data": data})

    def on_group_empty(self, topic: Topic) -> None:
        if topic.kind == "depthIncrease" and not self._followed(topic, "depthIncrease"):
            self.feeds.drop_increase(topic.symbol, topic.levels)
        if topic.kind == "fundingRate":
            self._funding_due.pop(topic.symbol, None)

    def _followed(self, topic: Topic, kind: str) -> bool:
        topics = self.registry.topics
        return any(topics[g].kind == kind and topics[g].levels == topic.levels
                   for g in self.registry.by_symbol.get(topic.symbol, ()))

    def on_clock(self, now: int) -> None:
        """Called about once a second: the fundingRate pushes that are due."""
        for symbol, due in list(self._funding_due.items()):
            if now >= due:
                self._funding_due[symbol] = now + FUNDING_EVERY_MS
                self.registry.publish(f"futures/fundingRate:{symbol}", self.feeds.funding(symbol, now))

