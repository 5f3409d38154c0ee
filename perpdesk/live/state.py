"""An account's mirrored state and how each stream event changes it. No I/O.

Position pushes carry size, entry and liquidation price but not leverage or margin, so a push
keeps those from the snapshot; a position the snapshot did not have asks for a REST refresh.
Asset pushes carry available, margin and frozen but not equity. What stays true between reads
is the wallet balance (equity less uPnL): equity and, in cross mode, available are recomputed from
it at the live marks on read (views.live_balances), as the exchange computes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from perpdesk.core.ledger import Fill
from perpdesk.core.market import PlanOrder
from perpdesk.core.models import (
    Balance,
    MarginMode,
    Order,
    OrderState,
    Position,
    PositionMode,
    PositionSide,
)

PosKey = tuple[str, PositionSide]
ROUNDING = Decimal("0.00000001")  # the exchange's balances are kept to 8 decimals (BitMart)
DONE = (OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED)


@dataclass
class AccountState:
    fills_kept: int = 100
    balances: dict[str, Balance] = field(default_factory=dict)
    positions: dict[PosKey, Position] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    plans: dict[str, PlanOrder] = field(default_factory=dict)
    fills: tuple[Fill, ...] = ()  # newest first
    finished: dict[str, Order] = field(default_factory=dict)  # recent filled/cancelled orders
    finished_kept: int = 50
    snapshot_at_ms: int = 0
    position_mode: PositionMode | None = None  # read at each snapshot and after a switch
    wallets: dict[str, Decimal] = field(default_factory=dict)  # wallet balance (equity less uPnL)
    # what the exchange's rounding takes off available: it rounds (wallet - margin - frozen + cross
    # uPnL) down to its decimals with the margin's full digits, and shows the margin rounded down
    available_rounding: dict[str, Decimal] = field(default_factory=dict)

    # ---- snapshots (REST) ------------------------------------------------------------------------
    def set_balances(self, balances: list[Balance], cross_upnl: Decimal | None = None) -> None:
        """The exchange's balances; `cross_upnl`: the cross positions' uPnL when they were read."""
        self.balances = {b.currency: b for b in balances}
        self.wallets = {b.currency: b.equity - b.unrealized_pnl for b in balances}
        usdt = self.balances.get("USDT")
        if usdt is not None and cross_upnl is not None and usdt.available > 0:
            off = usdt.available - (self.wallets["USDT"] - usdt.position_margin - usdt.frozen + cross_upnl)
            if abs(off) <= ROUNDING:  # more is a mark that moved between the reads: keep the last
                self.available_rounding["USDT"] = off

    def set_positions(self, positions: list[Position]) -> None:
        self.positions = {(p.symbol, p.side): p for p in positions}

    def set_orders(self, orders: list[Order]) -> None:
        self.orders = {o.order_id: o for o in orders if o.state not in DONE}

    def set_plans(self, plans: list[PlanOrder]) -> None:
        self.plans = {p.order_id: p for p in plans}

    def set_fills(self, fills: list[Fill]) -> None:
        # a tuple: a deque is 760 bytes even when empty, for each of 10,000 mirrors (it is
        # replaced whole, never appended to)
        self.fills = tuple(sorted(fills, key=lambda f: (-f.time_ms, f.trade_id))[: self.fills_kept])

    def set_finished(self, orders: list[Order]) -> None:
        self.finished = {}
        self._add_finished([o for o in orders if o.state in DONE])

    def _add_finished(self, orders: list[Order]) -> None:
        for o in orders:
            self.finished.pop(o.order_id, None)
            self.finished[o.order_id] = o
        if len(self.finished) > self.finished_kept:
            newest = sorted(self.finished.values(), key=lambda o: (o.updated_at_ms, o.order_id))
            self.finished = {o.order_id: o for o in newest[-self.finished_kept:]}

    @property
    def traded_symbols(self) -> set[str]:
        return self.symbols | {o.symbol for o in self.orders.values()} | {f.symbol for f in self.fills}

    # ---- pushes ----------------------------------------------------------------------------------
    def apply_assets(self, pushed: list[Balance], cross_upnl: Decimal | None = None) -> None:
        """Merge an asset push. `cross_upnl` is the cross positions' uPnL at the marks the push was
        computed at, when known: a fill's fee or realised PnL moves the wallet balance, which the
        push tells only through available (available = wallet - margin - frozen + cross uPnL)."""
        for b in pushed:
            old = self.balances.get(b.currency)
            if old is None:
                self.balances[b.currency] = b
                continue
            self.balances[b.currency] = replace(old, available=b.available,
                                                position_margin=b.position_margin, frozen=b.frozen)
            if cross_upnl is not None and b.available > 0 and b.currency == "USDT":
                off = self.available_rounding.get(b.currency, Decimal(0))
                self.wallets[b.currency] = b.available - off + b.position_margin + b.frozen - cross_upnl

    def apply_positions(self, pushed: list[Position], closed: list[PosKey]) -> bool:
        """Merge a position push; True if a position appeared that the snapshot did not have."""
        unknown = False
        for key in closed:
            self.positions.pop(key, None)
        for p in pushed:
            key = (p.symbol, p.side)
            old = self.positions.get(key)
            if old is None:
                unknown = True
                self.positions[key] = p
            else:
                self.positions[key] = replace(old, size=p.size, entry_price=p.entry_price,
                                              liquidation_price=p.liquidation_price,
                                              margin_mode=p.margin_mode)
        return unknown

    def apply_orders(self, orders: list[Order]) -> None:
        for o in orders:
            if o.state in DONE:
                self.orders.pop(o.order_id, None)
            else:
                self.orders[o.order_id] = o
        self._add_finished([o for o in orders if o.state in DONE])

    @property
    def symbols(self) -> set[str]:
        return {sym for sym, _side in self.positions}


def cross_upnl(positions: list[Position]) -> Decimal:
    """Unrealised PnL of the cross-margin positions: in cross mode it is part of what is available."""
    return sum((p.unrealized_pnl for p in positions if p.margin_mode is MarginMode.CROSS), Decimal(0))


# ---- drift ---------------------------------------------------------------------------------------
def _positions_key(ps: dict[PosKey, Position]) -> dict[str, Any]:
    return {f"{s}:{side.value}": (str(p.size), str(p.entry_price)) for (s, side), p in ps.items()}


def _orders_key(os: dict[str, Order]) -> dict[str, Any]:
    return {i: (o.state.value, str(o.size), str(o.filled_size), str(o.price)) for i, o in os.items()}


def _plans_key(ps: dict[str, PlanOrder]) -> dict[str, Any]:
    return {i: (p.kind.value, str(p.size), str(p.trigger_price)) for i, p in ps.items()}


def _diff(name: str, mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any] | None:
    missing = sorted(set(theirs) - set(mine))
    extra = sorted(set(mine) - set(theirs))
    changed = sorted(k for k in set(mine) & set(theirs) if mine[k] != theirs[k])
    if not (missing or extra or changed):
        return None
    return {"part": name, "missing": missing[:20], "extra": extra[:20], "changed": changed[:20]}


def drift(state: AccountState, positions: list[Position], orders: list[Order],
          plans: list[PlanOrder]) -> list[dict[str, Any]]:
    """What the exchange's snapshot says that the mirror does not (ids and keys only, no money).

    Balances are not compared: available and equity move with the mark between pushes."""
    other = AccountState()
    other.set_positions(positions)
    other.set_orders(orders)
    other.set_plans(plans)
    found = [
        _diff("positions", _positions_key(state.positions), _positions_key(other.positions)),
        _diff("open_orders", _orders_key(state.orders), _orders_key(other.orders)),
        _diff("plans", _plans_key(state.plans), _plans_key(other.plans)),
    ]
    return [d for d in found if d is not None]
