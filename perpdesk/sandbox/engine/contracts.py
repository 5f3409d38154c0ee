"""The perpetual contracts the sandbox lists, with their trading rules and risk brackets.

BTCUSDT, ETHUSDT and SOLUSDT are the sandbox's first three (the tests' numbers depend on them):
contract size, tick and volume step follow BitMart's `/contract/public/details` example for
BTCUSDT and ETHUSDT; SOLUSDT's contract size is an assumption. The other USDT-M perpetuals
(`LISTED`) follow BitMart's public contract details where ccxt's BitMart market fixture has them
(XRP, DOGE, ADA, LTC, TRX: contract size, tick, max volume, max leverage); the rest are
assumptions in BitMart's pattern (docs/sandbox.md says which and how). Leverage brackets are
modelled on BitMart's `/contract/public/leverage-bracket` shape; their values are realistic, not
BitMart's own. Each contract walks its own seeded price process at its own volatility.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from perpdesk.sandbox.engine.contract_spec import Bracket, ContractSpec, listed

__all__ = ["CONTRACTS", "Bracket", "ContractSpec", "money", "money_half", "s"]

USDT_Q = Decimal("0.00000001")  # money is kept to 8 decimals, like BitMart's balances
RATE_Q = Decimal("0.000001")

# tiers: (notional cap, initial leverage, maintenance margin ratio)
FIRST_THREE: tuple[ContractSpec, ...] = (
    listed(
        "BTCUSDT", size="0.001", tick="0.1", volumes=(500000, 100000), max_leverage=100,
        start="95000.0", walk_vol=0.6, book=(5, 2000), opened=1594080000123,
        tiers=[(50_000, 100, "0.005"), (250_000, 50, "0.01"), (1_000_000, 20, "0.025"),
               (5_000_000, 10, "0.05"), (20_000_000, 5, "0.1"), (100_000_000, 2, "0.25")],
    ),
    listed(
        "ETHUSDT", size="0.01", tick="0.01", volumes=(500000, 100000), max_leverage=100,
        start="3500.00", walk_vol=0.7, book=(10, 1500), opened=1594080000456,
        tiers=[(25_000, 100, "0.005"), (100_000, 50, "0.01"), (500_000, 20, "0.025"),
               (2_000_000, 10, "0.05"), (10_000_000, 5, "0.1"), (50_000_000, 2, "0.25")],
    ),
    listed(
        "SOLUSDT", size="0.1", tick="0.01", volumes=(300000, 50000), max_leverage=50,
        start="180.00", walk_vol=0.9, book=(2, 800), opened=1626940800789,
        tiers=[(10_000, 50, "0.01"), (50_000, 25, "0.02"), (250_000, 10, "0.05"),
               (1_000_000, 5, "0.1"), (5_000_000, 2, "0.25")],
    ),
    )

# symbol, contract size, tick, start price, max leverage, annual volatility of the walk,
# (max volume, market-order max volume) where BitMart's published details give them
Row = tuple[str, str, str, str, int, float, tuple[int, int] | None]
LISTED: tuple[Row, ...] = (
    ("XRPUSDT", "0.1", "0.0001", "2.2000", 200, 0.9, (100_000_000, 20_000_000)),
    ("DOGEUSDT", "1", "0.00001", "0.18000", 200, 1.1, (50_000_000, 2_000_000)),
    ("ADAUSDT", "1", "0.0001", "0.7000", 75, 1.0, (10_000_000, 2_000_000)),
    ("LTCUSDT", "0.001", "0.01", "90.00", 75, 0.9, (20_000_000, 2_000_000)),
    ("TRXUSDT", "1", "0.0000001", "0.2500000", 200, 0.7, (50_000_000, 5_000_000)),
    ("BNBUSDT", "0.01", "0.01", "650.00", 75, 0.7, None),
    ("BCHUSDT", "0.01", "0.01", "450.00", 75, 0.9, None),
    ("LINKUSDT", "0.1", "0.001", "18.000", 75, 1.0, None),
    ("DOTUSDT", "1", "0.001", "5.500", 75, 1.0, None),
    ("AVAXUSDT", "0.1", "0.001", "30.000", 75, 1.1, None),
    ("TONUSDT", "0.1", "0.0001", "4.5000", 50, 1.0, None),
    ("SHIBUSDT", "1000", "0.000000001", "0.000015000", 50, 1.3, None),
    ("PEPEUSDT", "10000", "0.0000000001", "0.0000100000", 50, 1.6, None),
    ("NEARUSDT", "0.1", "0.001", "5.000", 50, 1.2, None),
    ("APTUSDT", "0.1", "0.001", "9.000", 50, 1.2, None),
    ("ARBUSDT", "1", "0.0001", "0.8000", 50, 1.3, None),
    ("OPUSDT", "1", "0.0001", "1.8000", 50, 1.3, None),
    ("SUIUSDT", "1", "0.0001", "3.5000", 50, 1.3, None),
    ("ATOMUSDT", "0.1", "0.001", "6.500", 50, 1.0, None),
    ("UNIUSDT", "0.1", "0.001", "10.000", 50, 1.1, None),
    ("ETCUSDT", "0.1", "0.001", "25.000", 50, 1.0, None),
    ("FILUSDT", "0.1", "0.001", "5.000", 50, 1.2, None),
    ("ICPUSDT", "0.1", "0.001", "10.000", 50, 1.2, None),
    ("XLMUSDT", "10", "0.00001", "0.40000", 50, 1.0, None),
    ("HBARUSDT", "10", "0.00001", "0.25000", 50, 1.2, None),
    ("VETUSDT", "10", "0.000001", "0.040000", 50, 1.2, None),
    ("INJUSDT", "0.1", "0.001", "22.000", 50, 1.3, None),
    ("AAVEUSDT", "0.01", "0.01", "300.00", 50, 1.1, None),
    ("MKRUSDT", "0.001", "0.1", "1500.0", 50, 1.0, None),
    ("LDOUSDT", "1", "0.0001", "1.6000", 50, 1.3, None),
    ("CRVUSDT", "1", "0.0001", "0.8000", 50, 1.4, None),
    ("SANDUSDT", "1", "0.0001", "0.4500", 50, 1.3, None),
    ("MANAUSDT", "1", "0.0001", "0.4500", 50, 1.3, None),
    ("AXSUSDT", "0.1", "0.001", "6.000", 50, 1.3, None),
    ("APEUSDT", "1", "0.0001", "1.2000", 50, 1.4, None),
    ("GALAUSDT", "10", "0.00001", "0.03000", 50, 1.4, None),
    ("ALGOUSDT", "1", "0.0001", "0.3500", 50, 1.1, None),
    ("EOSUSDT", "1", "0.0001", "0.7500", 50, 1.0, None),
    ("XTZUSDT", "1", "0.0001", "1.1000", 50, 1.0, None),
    ("THETAUSDT", "1", "0.0001", "1.8000", 50, 1.2, None),
    ("EGLDUSDT", "0.01", "0.01", "30.00", 50, 1.1, None),
    ("SEIUSDT", "1", "0.0001", "0.4000", 50, 1.4, None),
    ("TIAUSDT", "0.1", "0.001", "5.000", 50, 1.4, None),
    ("WLDUSDT", "1", "0.0001", "2.2000", 50, 1.5, None),
    ("JUPUSDT", "1", "0.0001", "0.9000", 50, 1.4, None),
    ("WIFUSDT", "1", "0.0001", "2.5000", 50, 1.8, None),
    ("BONKUSDT", "1000", "0.000000001", "0.000030000", 50, 1.8, None),
    ("FLOKIUSDT", "1000", "0.00000001", "0.00015000", 50, 1.7, None),
    ("ENAUSDT", "1", "0.0001", "0.9000", 50, 1.5, None),
    ("ORDIUSDT", "0.1", "0.001", "30.000", 50, 1.5, None),
    ("RUNEUSDT", "0.1", "0.001", "5.000", 50, 1.4, None),
    ("STXUSDT", "1", "0.0001", "1.8000", 50, 1.3, None),
    ("IMXUSDT", "1", "0.0001", "1.4000", 50, 1.3, None),
    ("GRTUSDT", "10", "0.00001", "0.20000", 50, 1.3, None),
    ("KASUSDT", "10", "0.00001", "0.13000", 50, 1.3, None),
    ("TAOUSDT", "0.001", "0.1", "450.0", 50, 1.3, None),
    ("PENDLEUSDT", "0.1", "0.001", "5.000", 50, 1.4, None),
)
LADDER = (100, 50, 20, 10, 5, 2)  # initial leverage of the brackets below the first
FIRST_LISTED_MS = 1646006400000  # BitMart's open_timestamp of its alt perpetuals (ccxt fixture)


def _nice(n: Decimal) -> int:
    """The largest 1, 2 or 5 times a power of ten at most n (at least 1)."""
    if n < 1:
        return 1
    power = 10 ** n.adjusted()
    return max(m * power for m in (1, 2, 5) if m * power <= n)


def _tiers(max_leverage: int, first_cap: int) -> list[tuple[int, int, str]]:
    """Brackets from max leverage down to 2x, caps growing x5/x4; maintenance = 1 / (2 x lev)."""
    levs = [max_leverage, *(lev for lev in LADDER if lev < max_leverage)]
    tiers, cap = [], first_cap
    for i, lev in enumerate(levs):
        ratio = (Decimal(1) / (2 * lev)).quantize(Decimal("0.0001"))
        tiers.append((cap, lev, str(ratio.normalize())))
        cap *= 5 if i % 2 == 0 else 4
    return tiers


def _from_row(i: int, row: Row) -> ContractSpec:
    symbol, size_s, tick_s, start_s, max_leverage, walk_vol, volumes = row
    size, tick, start = Decimal(size_s), Decimal(tick_s), Decimal(start_s)
    major = max_leverage >= 75
    one = size * start  # USDT per contract at the start price
    if volumes is None:  # about $20M (majors) or $5M of notional per order, a tenth at market
        most = _nice(Decimal(20_000_000 if major else 5_000_000) / one)
        volumes = (most, max(1, most // 10))
    step = max(1, int((start * Decimal("0.0001") / tick).to_integral_value(ROUND_FLOOR)))  # ~1 bp
    lot = max(1, int(Decimal(50_000 if major else 20_000) / one))  # first level ~$50k or $20k
    return listed(symbol, size=size_s, tick=tick_s, volumes=volumes, max_leverage=max_leverage,
                  start=start_s, walk_vol=walk_vol, book=(step, lot),
                  opened=FIRST_LISTED_MS + i * 7 * 86_400_000 + i,
                  tiers=_tiers(max_leverage, 50_000 if major else 10_000))


CONTRACTS: dict[str, ContractSpec] = {
    spec.symbol: spec
    for spec in (*FIRST_THREE, *(_from_row(i, row) for i, row in enumerate(LISTED, start=1)))
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
