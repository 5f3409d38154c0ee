"""Pure margin arithmetic for one position. All Decimal; no state is changed here.

Conventions (USDT-margined linear contracts):
- quantity in coin q = contracts * contract_size; notional = q * price
- unrealised PnL = sign * (mark - entry) * q   (sign +1 long, -1 short)
- initial margin = entry notional / leverage
- maintenance margin = mark notional * rate(bracket) - cum(bracket), never below 0
- liquidation when margin + unrealised PnL <= maintenance margin
- margin ratio = maintenance margin / (margin + unrealised PnL); a margin call from MARGIN_CALL_RATIO
"""

from __future__ import annotations

from decimal import Decimal

from perpdesk.sandbox.engine.contracts import ContractSpec
from perpdesk.sandbox.engine.state import ZERO, Position

# The margin call comes at a margin ratio of 80 %, a warning before liquidation at 100 %.
MARGIN_CALL_RATIO = Decimal("0.8")


def margin_ratio(maint: Decimal, margin_balance: Decimal) -> Decimal:
    """Maintenance margin over what backs it; 1 and above is liquidation (nothing left: 1)."""
    return maint / margin_balance if margin_balance > 0 else Decimal(1)


def qty(spec: ContractSpec, contracts: int) -> Decimal:
    return Decimal(contracts) * spec.contract_size


def upnl(spec: ContractSpec, pos: Position, mark: Decimal) -> Decimal:
    return pos.sign * (mark - pos.entry) * qty(spec, pos.size)


def initial_margin(spec: ContractSpec, pos: Position) -> Decimal:
    if pos.open_type == "isolated":
        return pos.margin
    return qty(spec, pos.size) * pos.entry / pos.leverage


def maintenance(spec: ContractSpec, pos: Position, mark: Decimal) -> Decimal:
    notional = qty(spec, pos.size) * mark
    b = spec.bracket_for(notional)
    return max(ZERO, notional * b.maint_margin_ratio - b.cum)


def liquidation_price(spec: ContractSpec, pos: Position, mark: Decimal, collateral: Decimal) -> Decimal:
    """Mark price at which `collateral` (isolated margin, or the cross pool left for this position)
    plus this position's PnL equals its maintenance margin (bracket taken at the current mark)."""
    q = qty(spec, pos.size)
    if q == 0:
        return ZERO
    b = spec.bracket_for(q * mark)
    r, cum = b.maint_margin_ratio, b.cum
    if pos.side == "long":
        price = (pos.entry * q - collateral - cum) / (q * (1 - r))
    else:
        price = (pos.entry * q + collateral + cum) / (q * (1 + r))
    return max(ZERO, spec.round_price(price))
