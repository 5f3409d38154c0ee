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


def _listed(
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
        brackets=_brackets(tiers),
    )


# tiers: (notional cap, initial leverage, maintenance margin ratio)
CONTRACTS: dict[str, ContractSpec] = {
    spec.symbol: spec
    for spec in (
        _listed(
            "BTCUSDT", size="0.001", tick="0.1", volumes=(500000, 100000), max_leverage=100,
            start="95000.0", walk_vol=0.6, book=(5, 2000), opened=1594080000123,
            tiers=[(50_000, 100, "0.005"), (250_000, 50, "0.01"), (1_000_000, 20, "0.025"),
                   (5_000_000, 10, "0.05"), (20_000_000, 5, "0.1"), (100_000_000, 2, "0.25")],
        ),
        _listed(
            "ETHUSDT", size="0.01", tick="0.01", volumes=(500000, 100000), max_leverage=100,
            start="3500.00", walk_vol=0.7, book=(10, 1500), opened=1594080000456,
            tiers=[(25_000, 100, "0.005"), (100_000, 50, "0.01"), (500_000, 20, "0.025"),
                   (2_000_000, 10, "0.05"), (10_000_000, 5, "0.1"), (50_000_000, 2, "0.25")],
        ),
        _listed(
            "SOLUSDT", size="0.1", tick="0.01", volumes=(300000, 50000), max_leverage=50,
            start="180.00", walk_vol=0.9, book=(2, 800), opened=1626940800789,
            tiers=[(10_000, 50, "0.01"), (50_000, 25, "0.02"), (250_000, 10, "0.05"),
                   (1_000_000, 5, "0.1"), (5_000_000, 2, "0.25")],
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
