"""The texts of fill and liquidation notifications, as traders read them: money with thousands
separators and 2 decimals, prices at the instrument's tick when the venue's contracts are known
(else with their own decimals), sizes exact. One place for the REST watcher and the live one."""

from __future__ import annotations

import logging
from decimal import Decimal

from perpdesk.core.errors import PerpdeskError
from perpdesk.core.money import fmt
from perpdesk.core.number_text import money_text, price_text, to_decimal
from perpdesk.exchanges.registry import Venue
from perpdesk.services.deps import AccountsDeps

log = logging.getLogger(__name__)


async def ticks(deps: AccountsDeps, venue: Venue | None) -> dict[str, Decimal]:
    """Each contract's price tick at the venue (the connector caches them); none when unknown."""
    if venue is None:
        return {}
    try:
        return {i.symbol: i.price_tick for i in await deps.connector_for(venue).instruments()}
    except PerpdeskError as exc:  # the text falls back to the price's own decimals
        log.info("notification prices shown unrounded: contracts of %s not read (%s)", venue.exchange, exc)
        return {}


def fill_text(label: str, side: str, size: object, symbol: str, price: object, realised_pnl: object,
              fee: object, tick: Decimal | None) -> tuple[str, str]:
    """"Main: buy open long 2 ETHUSDT at 3,512.50" / "Realised PnL 1,204.00 USDT, fee 0.35 USDT."."""
    number = to_decimal(size)
    exact_size = fmt(number) if number is not None else ""
    return (
        f"{label}: {side.replace('_', ' ')} {exact_size} {symbol} at {price_text(price, tick)}",
        f"Realised PnL {money_text(realised_pnl)} USDT, fee {money_text(fee)} USDT.",
    )


def liquidation_text(label: str, symbol: str, side: str, dist: Decimal, mark: Decimal,
                     liquidation: Decimal, threshold: Decimal, tick: Decimal | None) -> tuple[str, str]:
    return (
        f"{label}: {symbol} {side} is {fmt(dist)}% from liquidation",
        f"Mark {price_text(mark, tick)}, liquidation price {price_text(liquidation, tick)}; "
        f"your threshold is {fmt(threshold)}%. Add margin or reduce the position.",
    )
