"""Binance's change histories, which the engine does not keep: order modifications made on this
port (`GET /fapi/v1/orderAmendment`) and isolated-margin changes (`GET /fapi/v1/positionMargin/history`).

One `Histories` per engine state, kept beside it and written through the sandbox's persistence
(kinds `binance_amendment`, `binance_margin_change`), so they survive a restart as orders do.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.views import money, price, qty, spec_of
from perpdesk.sandbox.engine.state import Order

Json = dict[str, Any]
AMENDMENT, MARGIN_CHANGE = "binance_amendment", "binance_margin_change"
MARGIN_WINDOW_MS = 30 * 86_400_000  # Binance: at most 30 days back, and between start and end

_BY_STATE: WeakKeyDictionary[Any, Histories] = WeakKeyDictionary()


class Histories:
    def __init__(self, state: Any) -> None:
        self.state = state
        self.rows: dict[str, dict[str, list[Json]]] = {AMENDMENT: {}, MARGIN_CHANGE: {}}
        self.last_id = 0
        if state.persist is not None:
            for kind, by_uid in self.rows.items():
                for doc_id, doc in state.persist.load(kind):
                    by_uid.setdefault(doc.pop("uid"), []).append(doc)
                    self.last_id = max(self.last_id, int(doc_id))
            for by_uid in self.rows.values():
                for rows in by_uid.values():
                    rows.sort(key=lambda r: r["_id"])

    def add(self, kind: str, uid: str, row: Json, id_field: str = "") -> None:
        self.last_id += 1
        row["_id"] = self.last_id
        if id_field:
            row[id_field] = self.last_id
        self.rows[kind].setdefault(uid, []).append(row)
        if self.state.persist is not None:
            self.state.persist.put(kind, str(self.last_id), {**row, "uid": uid})

    def of(self, kind: str, uid: str) -> list[Json]:
        return self.rows[kind].get(uid, [])


def histories(state: Any) -> Histories:
    found = _BY_STATE.get(state)
    if found is None:
        found = _BY_STATE[state] = Histories(state)
    return found


def _public(row: Json) -> Json:
    return {k: v for k, v in row.items() if not k.startswith("_")}


# ---- order modifications ------------------------------------------------------------------------
def record_amendment(call: Call, o: Order, price_before: Decimal, size_before: int) -> None:
    """After a modify on this port: what changed, and the how-many-th change of the order it was."""
    h = histories(call.ctx.engine.state)
    spec = spec_of(o.symbol)
    count = 1 + len(amendments_of(call, o))
    row: Json = {
        "symbol": o.symbol,
        "pair": o.symbol,
        "orderId": int(o.order_id),
        "clientOrderId": o.client_order_id,
        "time": call.ctx.engine.now(),
        "amendment": {
            "price": {"before": price(spec, price_before), "after": price(spec, o.price)},
            "origQty": {"before": qty(spec, size_before), "after": qty(spec, o.size)},
            "count": count,
        },
    }
    h.add(AMENDMENT, call.uid, row, id_field="amendmentId")


def amendments_of(call: Call, o: Order) -> list[Json]:
    """The order's modifications, newest first (as Binance's example lists them)."""
    rows = histories(call.ctx.engine.state).of(AMENDMENT, call.uid)
    return [_public(r) for r in reversed(rows) if r["orderId"] == int(o.order_id)]


# ---- isolated margin changes --------------------------------------------------------------------
def record_margin_change(call: Call, symbol: str, kind: int, amount: Decimal, position_side: str) -> None:
    row = {
        "symbol": symbol,
        "type": kind,
        "deltaType": "USER_ADJUST",
        "amount": money(amount),
        "asset": "USDT",
        "time": call.ctx.engine.now(),
        "positionSide": position_side,
    }
    histories(call.ctx.engine.state).add(MARGIN_CHANGE, call.uid, row)


def margin_changes(call: Call) -> list[Json]:
    """GET /fapi/v1/positionMargin/history: oldest first, within 30 days (the last 30 when no
    time is given), optionally only adds (type 1) or removes (type 2)."""
    symbol = call.params.req_symbol()
    kind = call.params.int_("type", lo=1, hi=2)
    start, end = call.params.int_("startTime", lo=0), call.params.int_("endTime", lo=0)
    n = call.params.limit(500, 500)
    now = call.ctx.engine.now()
    if start is not None and end is not None and end - start > MARGIN_WINDOW_MS:
        raise E.err(E.INTERVAL_TOO_BIG, "startTime and endTime at most 30 days apart")
    if start is None:
        start = (end if end is not None else now) - MARGIN_WINDOW_MS
    rows = [
        _public(r)
        for r in histories(call.ctx.engine.state).of(MARGIN_CHANGE, call.uid)
        if r["symbol"] == symbol
        and kind in (None, r["type"])
        and r["time"] >= start
        and (end is None or r["time"] <= end)
    ]
    return rows[:n]
