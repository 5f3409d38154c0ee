"""The Binance dialect's change histories survive a restart: written through the sandbox's
persistence (a real SQLite file) and read back, per account, in their order, ids continuing."""

from __future__ import annotations

from pathlib import Path

from perpdesk.sandbox.binance.history import AMENDMENT, MARGIN_CHANGE, Histories
from perpdesk.sandbox.persist import Persist


class _State:  # Histories needs only the engine state's persistence
    def __init__(self, persist: Persist) -> None:
        self.persist = persist


def test_histories_reload_in_order_and_ids_continue(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.db")
    persist = Persist(path)
    h = Histories(_State(persist))
    h.add(AMENDMENT, "u1", {"orderId": 7, "time": 1}, id_field="amendmentId")
    h.add(MARGIN_CHANGE, "u1", {"symbol": "SOLUSDT", "type": 1, "time": 2})
    h.add(AMENDMENT, "u1", {"orderId": 7, "time": 3}, id_field="amendmentId")
    h.add(AMENDMENT, "u2", {"orderId": 8, "time": 4}, id_field="amendmentId")
    persist.flush_sync()
    persist.close()

    again = Histories(_State(Persist(path)))
    assert [r["amendmentId"] for r in again.of(AMENDMENT, "u1")] == [1, 3]
    assert [r["orderId"] for r in again.of(AMENDMENT, "u2")] == [8]
    assert [r["symbol"] for r in again.of(MARGIN_CHANGE, "u1")] == ["SOLUSDT"]
    assert again.of(MARGIN_CHANGE, "u2") == []
    again.add(AMENDMENT, "u2", {"orderId": 8, "time": 5}, id_field="amendmentId")
    assert again.of(AMENDMENT, "u2")[-1]["amendmentId"] == 5
