"""The diff depth stream `<symbol>@depth[@100ms|@250ms|@500ms]`: on each engine tick of the
symbol, the levels that changed since the last push (quantity "0": the level is gone), with
Binance's update ids: `U` = the previous push's `u` + 1, `u` = the book's `lastUpdateId` (as
REST `depth` gives it), `pu` = the previous `u`. A local book follows Binance's recipe: take a
REST snapshot, drop pushes with `u` < its lastUpdateId, apply the rest in order."""

from __future__ import annotations

from typing import Any

from perpdesk.sandbox.binance import market_data as M
from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.params import Params

Json = dict[str, Any]
_LEVELS = "1000"


def _changes(before: dict[str, str], after: dict[str, str]) -> list[list[str]]:
    gone = [[p, "0"] for p in before if p not in after]
    moved = [[p, q] for p, q in after.items() if before.get(p) != q]
    return gone + moved


class DepthDiffs:
    """The last book pushed per symbol: the base of its next diff (one per symbol, kept)."""

    def __init__(self) -> None:
        self.books: dict[str, tuple[int, dict[str, str], dict[str, str]]] = {}

    def push(self, call: Call, symbol: str, now: int) -> Json | None:
        """The diff since the last push, or None when the book's update id did not move."""
        book = M.depth(Call(call.ctx, Params({"symbol": symbol, "limit": _LEVELS}), call.limits))
        update = int(book["lastUpdateId"])
        bids = {p: q for p, q in book["bids"]}
        asks = {p: q for p, q in book["asks"]}
        last = self.books.get(symbol)
        if last is not None and last[0] >= update:
            return None
        self.books[symbol] = (update, bids, asks)
        prev, old_bids, old_asks = last if last is not None else (update - 1, {}, {})
        return {
            "e": "depthUpdate",
            "E": now,
            "T": now,
            "s": symbol,
            "U": prev + 1,
            "u": update,
            "pu": prev,
            "b": _changes(old_bids, bids),
            "a": _changes(old_asks, asks),
        }
