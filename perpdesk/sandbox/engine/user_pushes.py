"""Push-only fields of the trade and private WebSocket channels that the REST views do not carry.

- `trade_way`: the trade channel's `way` (which side opened or closed on each end of the trade).
  The sandbox's counterparty is its synthetic book, which is taken to always open.
- `plan_fields`: the trigger / activation fields of a futures/order push ("-" when not applicable).
- `position_items`: every position of a user, for the position channel's timed push.
"""

from __future__ import annotations

from typing import Any, Protocol

from perpdesk.sandbox.engine.contracts import CONTRACTS, s
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.positions import Positions
from perpdesk.sandbox.engine.state import PlanOrder
from perpdesk.sandbox.engine.views import TRIGGER_DEFAULTS, position_push

Json = dict[str, Any]


class PositionSource(Protocol):
    """What the timed position push reads (the `Engine` facade is one)."""

    @property
    def state(self) -> EngineState: ...
    @property
    def positions(self) -> Positions: ...

# BitMart's `way`: 1-4 the taker bought, 5-8 the taker sold; the pair names (taker, maker).
# order side: 1 buy_open_long, 2 buy_close_short, 3 sell_close_long, 4 sell_open_short.
_TAKER_WAY = {1: 1, 2: 3, 3: 7, 4: 5}  # the maker (synthetic book) opens the other side
_MAKER_WAY = {1: 5, 2: 6, 3: 2, 4: 1}  # the taker (synthetic flow) opens the other side


def trade_way(side: int, maker: bool) -> int:
    """`way` of a trade in which a user's order of `side` was the maker or the taker."""
    return (_MAKER_WAY if maker else _TAKER_WAY).get(side, 1)


def _price_type(kind: int) -> str:
    return "fair_price" if kind == 2 else "last_price"


def plan_fields(plan: PlanOrder | None) -> Json:
    """The trigger fields of an order push; an order no plan sent has "-" in each."""
    out: Json = dict(TRIGGER_DEFAULTS)
    if plan is None:
        return out
    if plan.kind == "trailing":
        out["activation_price"] = s(plan.trigger_price)
        out["activation_price_type"] = _price_type(plan.price_type)
        if plan.callback_rate is not None:
            out["callback_rate"] = s(plan.callback_rate)
        return out
    out["trigger_price"] = s(plan.trigger_price)
    out["trigger_price_type"] = _price_type(plan.price_type)
    if plan.category == "limit" and plan.executive_price is not None:
        out["execution_price"] = s(plan.executive_price)
    return out


def position_items(engine: PositionSource, uid: str) -> list[Json]:
    """futures/position items of every open position of uid (symbol order, long before short)."""
    state = engine.state
    held = state.user_positions(uid)
    if not held:
        return []
    mode = state.account(uid).position_mode
    now = state.now()
    liq_price = engine.positions.liq_price
    items = []
    for (symbol, _side), pos in sorted(held.items()):
        items.append(position_push(CONTRACTS[symbol], pos, liq_price(pos), mode, now))
    return items
