"""The perpetual contracts the sandbox lists, with their trading rules and risk brackets.

Numbers follow BitMart's `/contract/public/details` for BTCUSDT and ETHUSDT (contract size, tick,
volume step). SOLUSDT's contract size is an assumption (BitMart's sources here are silent).
Leverage brackets (maintenance margin rate by notional tier) are modelled on BitMart's
`/contract/public/leverage-bracket` shape; the tier values are realistic, not BitMart's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal

USDT_Q = Decimal("0.00000001")  # money is kept to 8 decimals, like BitMart's balances
RATE_Q = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Bracket:
    bracket: int
    notional_floor: Decimal
    notional_cap: Decimal
    initial_leverage: int
    maint_margin_ratio: Decimal
    cum: Decimal  # maintenance amount: mm = notional * ratio - cum keeps tiers continuous


@dataclass(frozen=True, slots=True)
class ContractSpec:
    symbol: str
    base: str
    contract_size: Decimal
    tick: Decimal  # price_precision
    vol_precision: Decimal  # size step in contracts
    min_volume: int
    max_volume: int
    market_max_volume: int
    min_leverage: int
    max_leverage: int
    start_price: Decimal
    annual_vol: float  # volatility of the mark-price random walk
    book_step_ticks: int  # spacing of the synthetic book's levels
    book_lot: int  # contracts at the synthetic book's first level
    open_timestamp: int
    brackets: tuple[Bracket, ...]

    def round_price(self, price: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
        return (price / self.tick).to_integral_value(rounding=rounding) * self.tick

    def price_up(self, price: Decimal) -> Decimal:
        return self.round_price(price, ROUND_CEILING)

    def price_down(self, price: Decimal) -> Decimal:
        return self.round_price(price, ROUND_FLOOR)

    def on_grid(self, price: Decimal) -> bool:
        return price > 0 and (price / self.tick) == (price / self.tick).to_integral_value()

    def notional(self, size: int | Decimal, price: Decimal) -> Decimal:
        return Decimal(size) * self.contract_size * price

    def bracket_for(self, notional: Decimal) -> Bracket:
        for b in self.brackets:
            if notional < b.notional_cap:
                return b
        return self.brackets[-1]


def _brackets(tiers: list[tuple[int, int, str]]) -> tuple[Bracket, ...]:
    """tiers: (notional_cap, initial_leverage, maint_margin_ratio); floors chain from 0."""
    out: list[Bracket] = []
    floor = Decimal(0)
    cum = Decimal(0)
    prev_ratio = Decimal(0)
    for i, (cap, lev, ratio_s) in enumerate(tiers, start=1):
        ratio = Decimal(ratio_s)
        cum = cum + floor * (ratio - prev_ratio)
        out.append(Bracket(i, floor, Decimal(cap), lev, ratio, cum))
        floor = Decimal(cap)
        prev_ratio = ratio
    return tuple(out)


CONTRACTS: dict[str, ContractSpec] = {
    spec.symbol: spec
    for spec in (
        ContractSpec(
            symbol="BTCUSDT",
            base="BTC",
            contract_size=Decimal("0.001"),
            tick=Decimal("0.1"),
            vol_precision=Decimal("1"),
            min_volume=1,
            max_volume=500000,
            market_max_volume=100000,
            min_leverage=1,
            max_leverage=100,
            start_price=Decimal("95000.0"),
            annual_vol=0.6,
            book_step_ticks=5,
            book_lot=2000,
            open_timestamp=1594080000123,
            brackets=_brackets(
                [
                    (50_000, 100, "0.005"),
                    (250_000, 50, "0.01"),
                    (1_000_000, 20, "0.025"),
                    (5_000_000, 10, "0.05"),
                    (20_000_000, 5, "0.1"),
                    (100_000_000, 2, "0.25"),
                ]
            ),
        ),
        ContractSpec(
            symbol="ETHUSDT",
            base="ETH",
            contract_size=Decimal("0.01"),
            tick=Decimal("0.01"),
            vol_precision=Decimal("1"),
            min_volume=1,
            max_volume=500000,
            market_max_volume=100000,
            min_leverage=1,
            max_leverage=100,
            start_price=Decimal("3500.00"),
            annual_vol=0.7,
            book_step_ticks=10,
            book_lot=1500,
            open_timestamp=1594080000456,
            brackets=_brackets(
                [
                    (25_000, 100, "0.005"),
                    (100_000, 50, "0.01"),
                    (500_000, 20, "0.025"),
                    (2_000_000, 10, "0.05"),
                    (10_000_000, 5, "0.1"),
                    (50_000_000, 2, "0.25"),
                ]
            ),
        ),
        ContractSpec(
            symbol="SOLUSDT",
            base="SOL",
            contract_size=Decimal("0.1"),
            tick=Decimal("0.01"),
            vol_precision=Decimal("1"),
            min_volume=1,
            max_volume=300000,
            market_max_volume=50000,
            min_leverage=1,
            max_leverage=50,
            start_price=Decimal("180.00"),
            annual_vol=0.9,
            book_step_ticks=2,
            book_lot=800,
            open_timestamp=1626940800789,
            brackets=_brackets(
                [
                    (10_000, 50, "0.01"),
                    (50_000, 25, "0.02"),
                    (250_000, 10, "0.05"),
                    (1_000_000, 5, "0.1"),
                    (5_000_000, 2, "0.25"),
                ]
            ),
        ),
    )
}


def money(value: Decimal) -> Decimal:
    """Quantize a USDT amount (toward zero so the engine never creates dust out of nothing)."""
    return value.quantize(USDT_Q, rounding=ROUND_DOWN)


def money_half(value: Decimal) -> Decimal:
    return value.quantize(USDT_Q, rounding=ROUND_HALF_UP)


def s(value: Decimal) -> str:
    """Decimal to BitMart's wire string: plain notation, no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
