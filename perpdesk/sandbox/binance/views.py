"""Numbers as Binance writes them: exact decimal strings with the symbol's fixed precision
(prices to the tick's decimals, quantities in the base asset to the step's, money to 8).

The engine trades whole contracts; on this dialect a quantity is in the base asset
(contracts × contract size), so BTCUSDT's 1 contract of 0.001 BTC is quantity "0.001".
"""

from __future__ import annotations

from decimal import Decimal

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.engine.contracts import CONTRACTS, ContractSpec

MONEY_DP = 8


def decimals(step: Decimal) -> int:
    """Decimal places of a step such as 0.001 (3) or 1 (0)."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def fixed(value: Decimal, places: int) -> str:
    return f"{value:.{places}f}"


def price(spec: ContractSpec, value: Decimal) -> str:
    return fixed(value, decimals(spec.tick))


def qty(spec: ContractSpec, contracts: int | Decimal) -> str:
    return fixed(Decimal(contracts) * spec.contract_size, decimals(spec.contract_size))


def money(value: Decimal) -> str:
    return fixed(value, MONEY_DP)


def rate(value: Decimal) -> str:
    return fixed(value, 8)


def contracts(spec: ContractSpec, quantity: Decimal, name: str = "quantity") -> int:
    """Base-asset quantity -> whole contracts; a finer quantity is over the asset's precision."""
    n = quantity / spec.contract_size
    if n != n.to_integral_value():
        raise E.err(E.BAD_PRECISION, f"'{name}' is in steps of {spec.contract_size} {spec.base}")
    return int(n)


def on_tick(spec: ContractSpec, value: Decimal, name: str = "price") -> Decimal:
    if decimals(value) > decimals(spec.tick):
        raise E.err(E.BAD_PRECISION, f"'{name}' takes at most {decimals(spec.tick)} decimals")
    if not spec.on_grid(value):
        raise E.err(E.PRICE_NOT_BY_TICK, f"'{name}' must be a multiple of {spec.tick}")
    return value


def spec_of(symbol: str) -> ContractSpec:
    return CONTRACTS[symbol]
