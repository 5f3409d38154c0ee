"""Listen keys on an injected clock: one per API key, 60 minutes from the last keepalive, and
the stream is told when one ends."""

from __future__ import annotations

from perpdesk.sandbox.binance.listen_keys import VALID_MS, ListenKey, ListenKeys


def test_one_key_per_api_key_extended_then_expired() -> None:
    now = [1_000_000]
    keys = ListenKeys(clock=lambda: now[0])
    ended: list[ListenKey] = []
    keys.on_end.append(ended.append)
    first = keys.start("uid1", "apikey1")
    assert keys.start("uid1", "apikey1").key == first.key
    other = keys.start("uid2", "apikey2")
    assert other.key != first.key
    now[0] += VALID_MS - 1
    keys.expire_due()
    assert keys.live(first.key) is not None and not ended
    keys.start("uid1", "apikey1")  # keepalive: 60 more minutes
    now[0] += VALID_MS - 1
    assert keys.of("apikey1") is not None
    now[0] += 1
    keys.expire_due()
    assert keys.live(first.key) is None
    assert sorted(lk.key for lk in ended) == sorted([first.key, other.key])  # the other had no keepalive
    assert keys.start("uid1", "apikey1").key != first.key  # a new key after expiry
