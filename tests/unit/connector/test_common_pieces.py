"""The pieces both connectors share (perpdesk.exchanges.common): one clock measurement however many
callers need it, the retry policy's answers to a lost answer and an exchange-side failure, and
the instrument cache's look-up (a symbol listed since the last load is found after one reload) and
the account streams' snapshot."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from perpdesk.core.errors import ExchangeUnavailable, MaybeApplied, RateLimited
from perpdesk.core.models import Balance, Credentials, Instrument
from perpdesk.exchanges.common.account_stream import disconnected, loads_object, resync
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.exchanges.common.instrument_cache import InstrumentCache
from perpdesk.exchanges.common.rest_policy import Sent, after_lost_answer, after_unavailable, float_or_none
from perpdesk.http import ConnectFailed, ConnectionLost, TransportError


async def test_concurrent_syncs_measure_the_clock_once_at_the_round_trips_midpoint() -> None:
    wall = [1_000]
    clock = ExchangeClock(wall_ms=lambda: wall[0])
    calls = 0
    release = asyncio.Event()

    async def server_time() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        wall[0] = 1_100  # the answer came back 100 ms after the request left
        return 5_050

    syncs = [asyncio.create_task(clock.sync(server_time)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*syncs)
    assert calls == 1 and not clock.stale
    assert clock.offset_ms == 5_050 - 1_050 and clock.now_ms() == 1_100 + 4_000
    clock.invalidate()
    await clock.sync(server_time)
    assert calls == 2


async def lost(exc: TransportError, who: str, *, retry_safe: bool, retries: int, sent: Sent | None = None
               ) -> int:
    return await after_lost_answer(exc, "/p", who, retry_safe=retry_safe, retries=retries, max_retries=2,
                                   sent=sent)


async def failed(exc: ExchangeUnavailable, *, acted: bool, retry_safe: bool, retries: int = 0,
                 sent: Sent | None = None) -> int:
    return await after_unavailable(exc, may_have_acted=acted, retry_safe=retry_safe, retries=retries,
                                   max_retries=1, sent=sent)


async def test_a_lost_answer_retries_what_may_go_again_and_settles_what_may_have_arrived() -> None:
    sent = Sent(timestamp_ms=1, window_ms=60_000, decided_after_ms=61_000)
    gone = ConnectionLost("reset by peer", maybe_sent=True)
    # a write that never left goes again; one that may have arrived is never sent twice
    assert await lost(ConnectFailed("refused"), "the exchange", retry_safe=False, retries=0, sent=sent) == 1
    with pytest.raises(MaybeApplied) as maybe:
        await lost(gone, "the exchange", retry_safe=False, retries=0, sent=sent)
    assert maybe.value.decided_after_ms == 61_000
    assert maybe.value.message.startswith("No answer from the exchange for /p")
    # a read is retried up to the limit, then reported unavailable naming the exchange
    assert await lost(gone, "Binance", retry_safe=True, retries=1) == 2
    with pytest.raises(ExchangeUnavailable) as unavailable:
        await lost(gone, "Binance", retry_safe=True, retries=2)
    assert not isinstance(unavailable.value, MaybeApplied)
    assert unavailable.value.message.startswith("Binance did not answer /p")
    with pytest.raises(ExchangeUnavailable) as capitalised:
        await lost(gone, "the exchange", retry_safe=True, retries=2)
    assert capitalised.value.message.startswith("The exchange did not answer /p")


async def test_an_exchange_failure_is_maybe_applied_only_for_a_write_it_may_have_acted_on() -> None:
    fault = ExchangeUnavailable("server fault", exchange_code=500, http_status=503)
    with pytest.raises(MaybeApplied) as maybe:
        await failed(fault, acted=True, retry_safe=False, sent=Sent(decided_after_ms=9))
    assert (maybe.value.decided_after_ms, maybe.value.http_status, maybe.value.exchange_code) == (9, 503, 500)
    with pytest.raises(ExchangeUnavailable) as plain:
        await failed(fault, acted=False, retry_safe=False)
    assert plain.value is fault
    assert await failed(fault, acted=True, retry_safe=True) == 1  # a read goes again
    with pytest.raises(ExchangeUnavailable) as last:
        await failed(fault, acted=True, retry_safe=True, retries=1)
    assert last.value is fault


def test_header_numbers() -> None:
    assert (float_or_none("2.5"), float_or_none(None), float_or_none("soon")) == (2.5, None, None)


def _contract(symbol: str) -> Instrument:
    one = Decimal(1)
    return Instrument(symbol, symbol[:3], "USDT", contract_size=one, price_tick=Decimal("0.1"), size_step=one,
                      min_size=one, max_size=Decimal(1000), min_leverage=one, max_leverage=Decimal(100))


async def test_a_symbol_not_in_the_cache_is_looked_for_again_after_one_reload() -> None:
    cache = InstrumentCache(ttl_s=60)
    listed = [_contract("BTCUSDT")]
    reloads = 0

    async def reload() -> None:
        nonlocal reloads
        reloads += 1
        cache.replace(listed)

    assert (await cache.find("BTCUSDT", reload), reloads) == (listed[0], 1)  # empty: loaded first
    assert (await cache.find("BTCUSDT", reload), reloads) == (listed[0], 1)  # fresh: no reload
    listed.append(_contract("ETHUSDT"))  # listed since the last load
    assert (await cache.find("ETHUSDT", reload), reloads) == (listed[1], 2)
    assert (await cache.find("NOPEUSDT", reload), reloads) == (None, 3)  # unknown: one reload, then None
    assert cache.all() == listed


class Account:
    """The three reads of a snapshot; positions and orders stand in by their symbol alone."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.keys: list[str] = []

    async def balances(self, creds: Credentials) -> list[Balance]:
        self.keys.append(creds.api_key)
        if self.refuse:
            raise RateLimited("slow down", retry_after=1.0)
        return [Balance("USDT", Decimal(10), Decimal(8))]

    async def positions(self, creds: Credentials, symbol: str | None = None) -> list[Any]:
        return [SimpleNamespace(symbol="BTCUSDT"), SimpleNamespace(symbol="ETHUSDT")]

    async def open_orders(self, creds: Credentials, symbol: str | None = None) -> list[Any]:
        return [SimpleNamespace(symbol="ETHUSDT")]


async def test_the_snapshot_keeps_the_streams_symbols_and_turns_passing_trouble_into_a_reconnection() -> None:
    creds = Credentials("key-1", "secret-1", "memo-1")
    event = await resync(Account(), creds, {"ETHUSDT"})
    assert event.kind == "resync" and event.payload["balances"][0].equity == Decimal(10)
    assert [p.symbol for p in event.payload["positions"]] == ["ETHUSDT"]
    assert [o.symbol for o in event.payload["open_orders"]] == ["ETHUSDT"]
    assert len((await resync(Account(), creds, set())).payload["positions"]) == 2  # no symbols: all
    with pytest.raises(ExchangeUnavailable, match="resync after reconnect failed"):
        await resync(Account(refuse=True), creds, set())
    assert disconnected("closed").payload["reason"] == "closed"
    assert (loads_object(b'{"a":1}'), loads_object("[1]"), loads_object("not json")) == ({"a": 1}, {}, {})
