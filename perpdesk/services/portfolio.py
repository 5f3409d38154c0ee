"""Portfolio of a user's connected accounts: balances, positions with PnL, open orders, order
history and perpdesk's own order log (the intents). Exchange calls run concurrently; one part
failing (say the exchange refuses the positions call) is reported beside the parts that worked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from perpdesk.core.errors import ExchangeError, ExchangeUnavailable, PerpdeskError
from perpdesk.core.models import Balance, Credentials, Instrument, Order, Position
from perpdesk.core.money import fmt
from perpdesk.services.account_access import missing_credentials
from perpdesk.services.account_batch import user_accounts
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading import AccountRef, load_account
from perpdesk.services.trading.access import account_ref
from perpdesk.store.order_records import IntentRecord

if TYPE_CHECKING:
    from perpdesk.live.query import LiveQuery
    from perpdesk.live.views import AccountLive, FreshnessView

log = logging.getLogger(__name__)
T = TypeVar("T")
HUNDRED = Decimal(100)


def jsonable(value: Any) -> Any:
    """Decimals as exact strings, enums as their values, dataclasses as dicts (for the JSON API)."""
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    slots = getattr(type(value), "__slots__", None)
    if slots and hasattr(value, "__dataclass_fields__"):
        return {name: jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


# --- views --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PositionView:
    """A position with what the page shows next to it: notional value and return on margin."""

    position: Position

    @property
    def notional(self) -> Decimal:
        p = self.position
        return p.size * p.contract_size * p.mark_price

    @property
    def pnl_percent(self) -> Decimal | None:
        """Unrealised PnL over the position's margin, in percent, two decimals."""
        margin = self.position.margin
        if margin <= 0:
            return None
        return (self.position.unrealized_pnl / margin * HUNDRED).quantize(Decimal("0.01"))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(self.position)
        data["notional"] = fmt(self.notional)
        data["pnl_percent"] = fmt(self.pnl_percent) if self.pnl_percent is not None else None
        return data


@dataclass
class AccountSnapshot:
    account: AccountRef
    balances: list[Balance] = field(default_factory=list)
    positions: list[PositionView] = field(default_factory=list)
    open_orders: list[Order] = field(default_factory=list)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # part -> error
    live: AccountLive | None = None  # set when read from the account's live mirror
    mirror: FreshnessView | None = None  # the mirror's state when it was not fresh

    @property
    def live_state(self) -> str:
        """"fresh" when read from the live mirror (or its state when showing its last known
        values because the exchange answered nothing); "read from the exchange" otherwise."""
        return self.live.freshness.state.value if self.live is not None else "read from the exchange"

    @property
    def freshness_text(self) -> str:
        """What a page shows beside the values: live, or how old they may be and why."""
        f = self.live.freshness if self.live is not None else self.mirror
        if f is None:
            return "read from the exchange"
        if f.fresh:
            return "live"
        since = time.strftime("%H:%M:%S UTC", time.gmtime(f.since_ms / 1000)) if f.since_ms else ""
        state = f"{f.state.value}{' since ' + since if since else ''}{': ' + f.reason if f.reason else ''}"
        if self.live is not None:
            return f"{state} (last known values; the exchange did not answer)"
        return f"read from the exchange (live updates {state})"

    @property
    def usdt(self) -> Balance | None:
        return next((b for b in self.balances if b.currency == "USDT"), None)

    @property
    def unrealized_pnl(self) -> Decimal:
        return sum((p.position.unrealized_pnl for p in self.positions), Decimal(0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": {
                "id": self.account.id,
                "label": self.account.label,
                "exchange": self.account.exchange,
                "status": self.account.status,
            },
            "balances": jsonable(self.balances),
            "positions": [p.to_dict() for p in self.positions],
            "open_orders": jsonable(self.open_orders),
            "unrealized_pnl": fmt(self.unrealized_pnl),
            "errors": self.errors,
            "source": ("exchange" if self.live is None else "live" if self.live.fresh else "live_last_known"),
            "freshness": self.freshness_text,
        }


def error_dict(exc: BaseException) -> dict[str, str]:
    if isinstance(exc, PerpdeskError):
        return exc.to_dict()
    return ExchangeUnavailable(f"The exchange did not answer ({type(exc).__name__}).").to_dict()


async def _part(name: str, aw: Awaitable[T], errors: dict[str, dict[str, str]], default: T) -> T:
    try:
        return await aw
    except (ExchangeError, OSError, TimeoutError) as exc:
        log.info("portfolio part %s failed: %s", name, type(exc).__name__)
        errors[name] = error_dict(exc)
        return default


async def _snapshot(deps: AccountsDeps, ref: AccountRef, creds: Credentials) -> AccountSnapshot:
    conn = deps.connector_for(ref.venue)
    snap = AccountSnapshot(ref)
    balances, positions, orders = await asyncio.gather(
        _part("balances", conn.balances(creds), snap.errors, []),
        _part("positions", conn.positions(creds), snap.errors, []),
        _part("open_orders", conn.open_orders(creds), snap.errors, []),
    )
    snap.balances = sorted(balances, key=lambda b: (b.currency != "USDT", b.currency))
    snap.positions = [PositionView(p) for p in sorted(positions, key=lambda p: (p.symbol, p.side.value))]
    snap.open_orders = sorted(orders, key=lambda o: (-o.created_at_ms, o.order_id))
    return snap


def _from_live(ref: AccountRef, view: AccountLive) -> AccountSnapshot:
    positions = [PositionView(p) for p in view.positions]
    return AccountSnapshot(ref, balances=list(view.balances), positions=positions,
                           open_orders=list(view.open_orders), live=view)


async def account_snapshot(
    deps: AccountsDeps, user_id: str, account_id: str, live: LiveQuery | None = None
) -> AccountSnapshot:
    """Balances, positions and open orders of one of the user's accounts: from its live mirror
    while that is fresh (no exchange request), else fetched from the exchange concurrently. A
    mirror that is not fresh is named beside the exchange's values; if the exchange answers
    nothing either, its last known values are shown, marked stale or disconnected."""
    view = live.account(user_id, account_id) if live is not None else None
    if view is not None and view.fresh:
        return _from_live(await account_ref(deps, user_id, account_id), view)
    ref, creds = await load_account(deps, user_id, account_id)
    return await _fetched(deps, ref, creds, view)


async def _fetched(
    deps: AccountsDeps, ref: AccountRef, creds: Credentials, view: AccountLive | None
) -> AccountSnapshot:
    snap = await _snapshot(deps, ref, creds)
    if view is None:
        return snap
    if len(snap.errors) == 3 and view.snapshot_at_ms:
        last = _from_live(ref, view)
        last.errors = snap.errors
        return last
    snap.mirror = view.freshness
    return snap


async def overview(deps: AccountsDeps, user_id: str, live: LiveQuery | None = None) -> list[AccountSnapshot]:
    """Every account of the user: the accounts and their credentials read in one unit of work (a
    query each, however many accounts), then each fetched concurrently with the others."""
    accounts = await user_accounts(deps, user_id)
    return list(await asyncio.gather(*(_safe_snapshot(deps, ref, creds, live) for ref, creds in accounts)))


async def _safe_snapshot(
    deps: AccountsDeps, ref: AccountRef, creds: Credentials | None, live: LiveQuery | None
) -> AccountSnapshot:
    """One account's snapshot; an account that cannot even be opened is shown with the reason."""
    view = live.account(ref.user_id, ref.id) if live is not None else None
    if view is not None and view.fresh:
        return _from_live(ref, view)
    try:
        if creds is None:
            raise missing_credentials()
        return await _fetched(deps, ref, creds, view)
    except PerpdeskError as exc:
        return AccountSnapshot(ref, errors={"account": exc.to_dict()})


async def balances(deps: AccountsDeps, user_id: str, account_id: str) -> list[Balance]:
    ref, creds = await load_account(deps, user_id, account_id)
    return await deps.connector_for(ref.venue).balances(creds)


async def positions(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str | None = None
) -> list[PositionView]:
    ref, creds = await load_account(deps, user_id, account_id)
    found = await deps.connector_for(ref.venue).positions(creds, symbol or None)
    return [PositionView(p) for p in found]


async def open_orders(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str | None = None
) -> list[Order]:
    ref, creds = await load_account(deps, user_id, account_id)
    return await deps.connector_for(ref.venue).open_orders(creds, symbol or None)


async def instruments(deps: AccountsDeps, user_id: str, account_id: str) -> list[Instrument]:
    ref = await account_ref(deps, user_id, account_id)
    return sorted(await deps.connector_for(ref.venue).instruments(), key=lambda i: i.symbol)


async def order_history(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str | None = None,
    live: LiveQuery | None = None,
) -> list[Order]:
    """Finished orders. The exchanges ask for a symbol per call (BitMart, Binance): without one, the
    symbols this account traded through perpdesk or holds positions in are asked concurrently and
    merged, newest first. Without a symbol and with a fresh live mirror, the mirror's recent
    finished orders."""
    view = live.fresh(user_id, account_id) if live is not None and not symbol else None
    if view is not None:
        return list(view.finished)
    ref, creds = await load_account(deps, user_id, account_id)
    conn = deps.connector_for(ref.venue)
    if symbol:
        symbols = [symbol.strip().upper()]
    else:
        async with deps.trading_uow() as uow:
            traded = await uow.orders.symbols(user_id, account_id)
        held = [p.symbol for p in await conn.positions(creds)]
        symbols = sorted(set(traded) | set(held))
    results = await asyncio.gather(*(conn.order_history(creds, sym) for sym in symbols))
    merged = {o.order_id: o for rows in results for o in rows}
    return sorted(merged.values(), key=lambda o: (-o.updated_at_ms, o.order_id))


@dataclass(frozen=True, slots=True)
class IntentView:
    client_order_id: str
    purpose: str
    symbol: str
    side: str
    type: str
    size: Decimal
    price: Decimal | None
    status: str
    order_id: str | None
    error_code: str | None
    error_message: str | None
    created_at: str
    decided_after: str | None = None  # an unknown outcome is known by then (ISO, UTC)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = jsonable(self)
        return out


def _intent_view(r: IntentRecord) -> IntentView:
    return IntentView(
        r.client_order_id,
        r.purpose,
        r.symbol,
        r.side,
        r.type,
        r.size,
        r.price,
        r.status,
        r.order_id,
        r.error_code,
        r.error_message,
        r.created_at.isoformat(),
        r.decided_after.isoformat() if r.decided_after else None,
    )


async def intents(deps: AccountsDeps, user_id: str, account_id: str, limit: int = 50) -> list[IntentView]:
    """perpdesk's own log of orders sent from this account, newest first (scoped to the user)."""
    ref = await account_ref(deps, user_id, account_id)  # ownership check
    async with deps.trading_uow() as uow:
        rows = await uow.orders.for_account(user_id, ref.id, limit=limit)
        return [_intent_view(r) for r in rows]


__all__ = [
    "AccountSnapshot",
    "IntentView",
    "PositionView",
    "account_snapshot",
    "balances",
    "instruments",
    "intents",
    "jsonable",
    "open_orders",
    "order_history",
    "overview",
    "positions",
]
