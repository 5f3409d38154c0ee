"""The types of a listed contract: its trading rules (`ContractSpec`) and its leverage brackets
(`Bracket`: maintenance margin rate by notional tier, modelled on BitMart's
`/contract/public/leverage-bracket` shape). The contracts themselves are in contracts.py."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal


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


def brackets(tiers: list[tuple[int, int, str]]) -> tuple[Bracket, ...]:
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


def listed(
    symbol: str,
    *,
    size: str,
    tick: str,
    volumes: tuple[int, int],
    max_leverage: int,
    start: str,
    walk_vol: float,
    book: tuple[int, int],
    opened: int,
    tiers: list[tuple[int, int, str]],
) -> ContractSpec:
    """A USDT perpetual traded in whole contracts from 1 at 1x up: `volumes` is (max volume,
    market-order max volume), `book` the synthetic book's (step in ticks, first-level lot)."""
    return ContractSpec(
        symbol=symbol,
        base=symbol.removesuffix("USDT"),
        contract_size=Decimal(size),
        tick=Decimal(tick),
        vol_precision=Decimal(1),
        min_volume=1,
        max_volume=volumes[0],
        market_max_volume=volumes[1],
        min_leverage=1,
        max_leverage=max_leverage,
        start_price=Decimal(start),
        annual_vol=walk_vol,
        book_step_ticks=book[0],
        book_lot=book[1],
        open_timestamp=opened,
        brackets=brackets(tiers),
    )
