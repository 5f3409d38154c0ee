"""The in-process bus: topics, bounded queues, a slow subscriber dropped without blocking others."""

from __future__ import annotations

from perpdesk.live.bus import InProcessBus


async def test_events_reach_only_their_topics_subscribers_in_order() -> None:
    bus = InProcessBus()
    a = bus.subscribe(["account:1"])
    b = bus.subscribe(["account:2", "market:bitmart:BTCUSDT"])
    s1 = bus.publish("account:1", "account", {"n": 1})
    s2 = bus.publish("market:bitmart:BTCUSDT", "ticker", {"n": 2})
    bus.publish("account:3", "account", {"n": 3})  # nobody listens
    got_a = await a.get(wait_s=1)
    got_b = await b.get(wait_s=1)
    assert got_a is not None and (got_a.data, got_a.seq) == ({"n": 1}, s1)
    assert got_b is not None and (got_b.kind, got_b.seq) == ("ticker", s2) and s2 > s1
    assert await a.get(wait_s=0.05) is None
    a.close()
    assert bus.subscriber_count("account:1") == 0 and bus.subscriber_count() == 1


async def test_a_full_subscriber_is_dropped_and_the_others_keep_receiving() -> None:
    bus = InProcessBus()
    slow = bus.subscribe(["t"], maxsize=3)
    fast = bus.subscribe(["t"], maxsize=100)
    for i in range(10):
        bus.publish("t", "x", {"i": i})
        got = await fast.get(wait_s=1)
        assert got is not None and got.data == {"i": i}
    assert slow.dropped and bus.dropped_total == 1 and bus.subscriber_count("t") == 1
    drained = [e.data["i"] async for e in slow]  # what it had, then the end
    assert len(drained) <= 3


async def test_a_wildcard_subscription_gets_every_topic_of_its_prefix() -> None:
    bus = InProcessBus()
    every = bus.subscribe(["account:*"])
    assert bus.subscriber_count("account:7") == 1 and bus.subscriber_count("market:bitmart:X") == 0
    assert bus.watchers("account:7") == 0  # a wildcard is not a page of that account
    page = bus.subscribe(["account:7"])
    assert bus.watchers("account:7") == 1 and bus.subscriber_count("account:7") == 2
    page.close()
    bus.publish("account:7", "fill", {"n": 1})
    bus.publish("market:bitmart:BTCUSDT", "ticker", {"n": 2})
    bus.publish("account:8", "order", {"n": 3})
    got = [await every.get(wait_s=1), await every.get(wait_s=1), await every.get(wait_s=0.05)]
    seen = [(e.topic, e.kind) if e else None for e in got]
    assert seen == [("account:7", "fill"), ("account:8", "order"), None]
