"""When a kept ledger read still serves a page, and what the portfolio says about how current an
account's values are (live, stale mirror beside the exchange's values, last known values)."""

from __future__ import annotations

from perpdesk.live.views import AccountLive, Freshness, FreshnessView
from perpdesk.services.ledger_cache import _Read
from perpdesk.services.pnl_history import Range
from perpdesk.services.portfolio import AccountSnapshot
from perpdesk.services.trading import AccountRef

WIDE = Range(1_000, 9_000)
TX = "transactions"


def read(version: str, settled: bool, expires: float = 100.0) -> _Read:
    return _Read(TX, WIDE.start_ms, WIDE.end_ms, [], expires, version, settled)


def test_a_settled_read_serves_until_the_mirror_sees_a_change() -> None:
    r = read("1:4", settled=True, expires=0.0)
    assert r.serves(TX, Range(2_000, 9_000), "1:4", now=1e9)  # narrower range, long after: kept
    assert not r.serves(TX, WIDE, "1:5", now=0.0)  # a fill or a balance push since
    assert not r.serves(TX, WIDE, "2:4", now=0.0)  # another mirror (restarted)
    assert not r.serves(TX, Range(500, 9_000), "1:4", now=0.0)  # wider than what was read


def test_a_read_serves_only_its_own_kind_of_history() -> None:
    r = read("1:4", settled=True)
    assert not r.serves("fills:", WIDE, "1:4", now=0.0)


def test_a_read_soon_after_a_change_or_without_a_mirror_is_kept_briefly() -> None:
    soon = read("1:4", settled=False, expires=10.0)
    assert soon.serves(TX, WIDE, "1:4", now=9.0) and not soon.serves(TX, WIDE, "1:4", now=11.0)
    plain = read("", settled=False, expires=10.0)
    assert plain.serves(TX, WIDE, "", now=9.0) and not plain.serves(TX, WIDE, "", now=11.0)
    assert not plain.serves(TX, WIDE, "1:4", now=0.0)  # a mirror is fresh now: its version decides


REF = AccountRef("a1", "u1", "bitmart", "Desk", "active")


def test_freshness_text() -> None:
    assert AccountSnapshot(REF).freshness_text == "read from the exchange"
    fresh = AccountLive("a1", "Desk", "bitmart", FreshnessView(Freshness.FRESH, 0))
    assert AccountSnapshot(REF, live=fresh).freshness_text == "live"
    stale = FreshnessView(Freshness.STALE, 3_723_000, "No live mark price for ETHUSDT yet.")
    assert AccountSnapshot(REF, mirror=stale).freshness_text == (
        "read from the exchange (live updates stale since 01:02:03 UTC: No live mark price for ETHUSDT yet.)")
    down = AccountLive("a1", "Desk", "bitmart", FreshnessView(Freshness.DISCONNECTED, 3_723_000, "Dropped."))
    snap = AccountSnapshot(REF, live=down)
    assert snap.freshness_text == (
        "disconnected since 01:02:03 UTC: Dropped. (last known values; the exchange did not answer)")
    assert snap.live_state == "disconnected" and snap.to_dict()["source"] == "live_last_known"
