"""What the mirror's state looks like to a reader: positions with uPnL at the live mark price,
balances with live equity, and the freshness every page shows beside them. Pure functions."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from perpdesk.core.ledger import Fill
from perpdesk.core.market import PlanOrder
from perpdesk.core.models import Balance, Order, Position, PositionMode, PositionSide
from perpdesk.core.money import fmt
from perpdesk.live.state import AccountState, cross_upnl

HUNDRED = Decimal(100)


def jsonable(value: Any) -> Any:
    """Decimals as exact strings, enums as their values, dataclasses as dicts."""
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        return {name: jsonable(getattr(value, name)) for name in fields}
    return value


class Freshness(enum.StrEnum):
    STARTING = "starting"  # no snapshot yet
    FRESH = "fresh"  # stream up, snapshot taken, updates flowing
    STALE = "stale"  # stream up but a read failed, or the mark price is not live
    DISCONNECTED = "disconnected"  # stream down (reconnecting), or the key was refused
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class FreshnessView:
    state: Freshness
    since_ms: int
    reason: str = ""

    @property
    def fresh(self) -> bool:
        return self.state is Freshness.FRESH


def upnl(p: Position, mark: Decimal) -> Decimal:
    diff = mark - p.entry_price if p.side is PositionSide.LONG else p.entry_price - mark
    return diff * p.size * p.contract_size


def at_mark(p: Position, mark: Decimal | None) -> Position:
    """The position re-valued at `mark` (unchanged when the live mark is unknown)."""
    if mark is None or mark <= 0:
        return p
    return replace(p, mark_price=mark, unrealized_pnl=upnl(p, mark))


def position_dict(p: Position, *, live_mark: bool) -> dict[str, Any]:
    data: dict[str, Any] = jsonable(p)
    data["notional"] = fmt(p.size * p.contract_size * p.mark_price)
    data["pnl_percent"] = (fmt((p.unrealized_pnl / p.margin * HUNDRED).quantize(Decimal("0.01")))
                           if p.margin > 0 else None)
    data["live_mark"] = live_mark
    return data


@dataclass
class AccountLive:
    """One account as its mirror holds it, re-valued at the live marks."""

    account_id: str
    label: str
    exchange: str
    freshness: FreshnessView
    balances: list[Balance] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    live_marks: set[str] = field(default_factory=set)  # symbols whose mark is live
    open_orders: list[Order] = field(default_factory=list)
    plans: list[PlanOrder] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    snapshot_at_ms: int = 0
    finished: list[Order] = field(default_factory=list)  # recent filled / cancelled orders
    ledger_version: str = ""  # changes whenever the exchange's ledger may have new rows
    ledger_changed_ms: int = 0  # when it last changed
    position_mode: PositionMode | None = None

    @property
    def fresh(self) -> bool:
        return self.freshness.fresh

    @property
    def unrealized_pnl(self) -> Decimal:
        return sum((p.unrealized_pnl for p in self.positions), Decimal(0))

    @property
    def usdt(self) -> Balance | None:
        return next((b for b in self.balances if b.currency == "USDT"), None)

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "account_id": self.account_id,
            "label": self.label,
            "exchange": self.exchange,
            "freshness": {"state": self.freshness.state.value, "since_ms": self.freshness.since_ms,
                          "reason": self.freshness.reason, "fresh": self.fresh},
            "balances": jsonable(self.balances),
            "positions": [position_dict(p, live_mark=p.symbol in self.live_marks) for p in self.positions],
            "unrealized_pnl": fmt(self.unrealized_pnl),
            "margin_in_use": fmt(self.usdt.position_margin + self.usdt.frozen) if self.usdt else None,
            "snapshot_at_ms": self.snapshot_at_ms,
        }
        if full:
            out["open_orders"] = jsonable(self.open_orders)
            out["plans"] = jsonable(self.plans)
            out["fills"] = jsonable(self.fills)
            out["order_history"] = jsonable(self.finished)
            out["position_mode"] = self.position_mode.value if self.position_mode else None
        return out


def live_balances(
    balances: list[Balance], wallets: dict[str, Decimal], positions: list[Position],
    rounding: dict[str, Decimal] | None = None,
) -> list[Balance]:
    """USDT figures at the live marks, by the exchange's rule: equity is the wallet balance plus
    every position's uPnL; available is the wallet balance less position margin and order margin,
    plus the cross positions' uPnL (never below 0). Isolated uPnL stays inside its position."""
    out = []
    for b in balances:
        wallet = wallets.get(b.currency)
        if b.currency != "USDT" or wallet is None:
            out.append(b)
            continue
        live_upnl = sum((p.unrealized_pnl for p in positions), Decimal(0))
        off = (rounding or {}).get(b.currency, Decimal(0))
        available = max(Decimal(0), wallet - b.position_margin - b.frozen + cross_upnl(positions) + off)
        out.append(replace(b, equity=wallet + live_upnl, unrealized_pnl=live_upnl, available=available))
    return out


def live_view(
    account_id: str, label: str, exchange: str, st: AccountState, freshness: FreshnessView,
    marks: dict[str, Decimal | None], *, ledger_version: str, ledger_changed_ms: int,
) -> AccountLive:
    """A mirror's state as its view: positions valued at the live mark (uPnL, and USDT equity moved
    by it), newest orders first; stale while a held symbol has no live mark price yet."""
    positions = sorted((at_mark(p, marks.get(p.symbol)) for p in st.positions.values()),
                       key=lambda p: (p.symbol, p.side.value))
    balances = sorted(st.balances.values(), key=lambda b: (b.currency != "USDT", b.currency))
    missing = [s for s, m in marks.items() if m is None]
    if freshness.fresh and missing:
        freshness = FreshnessView(Freshness.STALE, freshness.since_ms,
                                  f"No live mark price for {', '.join(sorted(missing))} yet.")
    return AccountLive(
        account_id, label, exchange, freshness,
        balances=live_balances(balances, st.wallets, positions, st.available_rounding),
        positions=positions, live_marks={s for s, m in marks.items() if m is not None},
        open_orders=sorted(st.orders.values(), key=lambda o: (-o.created_at_ms, o.order_id)),
        plans=sorted(st.plans.values(), key=lambda p: (-p.created_at_ms, p.order_id)),
        fills=list(st.fills), snapshot_at_ms=st.snapshot_at_ms,
        finished=sorted(st.finished.values(), key=lambda o: (-o.updated_at_ms, o.order_id)),
        ledger_version=ledger_version, ledger_changed_ms=ledger_changed_ms,
        position_mode=st.position_mode,
    )
